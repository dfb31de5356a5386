// The engine's Web Worker. For now it owns the guest VM and offers the page
// shells and the VM console over comlink; later the daemon (images,
// containers) lives here too. The page never touches v86 directly.
import wasmUrl from "v86/build/v86.wasm?url";
import { UrlAssetSource } from "../vm/assets.ts";
import { benchGuest } from "../vm/bench.ts";
import { GuestVM, compileOnce, type GuestProcess } from "../vm/guest.ts";
import { Comlink, installErrorTransfer } from "./comlink.ts";

installErrorTransfer();

const wasm = compileOnce(async () => {
  const url = new URL(wasmUrl, self.location.href).href;
  try {
    return await WebAssembly.compileStreaming(fetch(url));
  } catch {
    // A host that does not send application/wasm: compile from the bytes.
    return WebAssembly.compile(await (await fetch(url)).arrayBuffer());
  }
});

export interface StartProgress {
  phase: string;
  loaded?: number;
  total?: number;
}

let vm: GuestVM | null = null;
const shells = new Map<number, GuestProcess>();

const api = {
  async start(guestBase: string, onProgress: (p: StartProgress) => void, mode: "restore" | "cold" = "restore") {
    if (vm) return vm.startInfo;
    vm = await GuestVM.start({
      source: new UrlAssetSource(guestBase),
      wasm,
      mode,
      onProgress: (p) => onProgress(p),
    });
    return vm.startInfo;
  },

  /** Starts a login shell on a tty; output goes to onData, the exit code to onExit. */
  async openShell(
    rows: number,
    cols: number,
    onData: (bytes: Uint8Array) => void,
    onExit: (code: number) => void,
  ): Promise<number> {
    const guest = requireVm();
    const proc = await guest.spawn({ argv: ["sh", "-l"], tty: { rows, cols }, env: ["TERM=xterm-256color", "HOME=/root", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"], cwd: "/root" });
    shells.set(proc.id, proc);
    proc.onStdout((d) => onData(d));
    void proc.exited.then((s) => {
      shells.delete(proc.id);
      onExit(s.exitCode);
    });
    return proc.id;
  },

  write(id: number, data: Uint8Array | string) {
    shells.get(id)?.write(data);
  },

  resize(id: number, rows: number, cols: number) {
    shells.get(id)?.resize(rows, cols);
  },

  async exec(argv: string[]) {
    return requireVm().exec(argv);
  },

  async ping() {
    return requireVm().ping();
  },

  /** Guest benchmarks (npm run bench): fresh VMs, separate from the page's own. */
  async benchmark(guestBase: string) {
    return benchGuest((mode) =>
      GuestVM.start({ source: new UrlAssetSource(guestBase), wasm, mode }),
    );
  },

  onSerial(fn: (bytes: Uint8Array) => void) {
    requireVm().onSerial(fn);
  },

  serialWrite(data: string) {
    requireVm().serialWrite(data);
  },
};

function requireVm(): GuestVM {
  if (!vm) throw new Error("the guest is not started");
  return vm;
}

export type EngineWorkerApi = typeof api;

Comlink.expose(api);
