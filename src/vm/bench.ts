// Guest benchmarks, shared by Node (bench/run.ts) and the engine worker in
// Chromium, so both measure the same thing the same way.
import type { GuestVM, StartOptions } from "./guest.ts";

export interface GuestBenchResult {
  restore_ms: number;
  cold_boot_ms: number;
  exec_rtt_ms: number;
  put_mb_s: number;
  get_mb_s: number;
  state_bytes: number;
  /** Where a restore's time went (last restore), for diagnosis. */
  restore_phases?: Record<string, number>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function benchGuest(
  start: (mode: StartOptions["mode"]) => Promise<GuestVM>,
  opts: { restores?: number; colds?: number; execs?: number; transferMB?: number } = {},
): Promise<GuestBenchResult> {
  const restores: number[] = [];
  let stateBytes = 0;
  let phases: Record<string, number> = {};
  for (let i = 0; i < (opts.restores ?? 3); i++) {
    const vm = await start("restore");
    restores.push(vm.startInfo.ms);
    stateBytes = vm.startInfo.stateBytes;
    phases = vm.startInfo.phases;
    await vm.shutdown();
  }
  const colds: number[] = [];
  for (let i = 0; i < (opts.colds ?? 1); i++) {
    const vm = await start("cold");
    colds.push(vm.startInfo.ms);
    await vm.shutdown();
  }

  const vm = await start("restore");
  try {
    // Spawn `true` and wait for its exit, after a warm-up.
    for (let i = 0; i < 3; i++) await vm.exec(["true"]);
    const rtts: number[] = [];
    for (let i = 0; i < (opts.execs ?? 20); i++) {
      const t0 = performance.now();
      await vm.exec(["true"]);
      rtts.push(performance.now() - t0);
    }

    const mb = opts.transferMB ?? 16;
    const data = new Uint8Array(mb * 1024 * 1024);
    for (let off = 0; off < data.length; off += 65536) crypto.getRandomValues(data.subarray(off, off + 65536));
    const t1 = performance.now();
    await vm.putFile("/var/lib/berth/bench.bin", data);
    const putMs = performance.now() - t1;
    const t2 = performance.now();
    const back = await vm.getFile("/var/lib/berth/bench.bin");
    const getMs = performance.now() - t2;
    if (back.length !== data.length) throw new Error(`get returned ${back.length} bytes, expected ${data.length}`);
    await vm.remove("/var/lib/berth/bench.bin");

    return {
      restore_ms: Math.round(median(restores)),
      cold_boot_ms: Math.round(median(colds)),
      exec_rtt_ms: Math.round(median(rtts) * 10) / 10,
      put_mb_s: Math.round((mb / (putMs / 1000)) * 10) / 10,
      get_mb_s: Math.round((mb / (getMs / 1000)) * 10) / 10,
      state_bytes: stateBytes,
      restore_phases: phases,
    };
  } finally {
    await vm.shutdown();
  }
}
