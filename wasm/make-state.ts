// Part of `npm run guest:build`: cold-boots the freshly built guest in Node,
// waits for the agent, checks it answers, saves the machine state (gzip) and
// writes public/guest/manifest.json with every file's sha256 and size.
//
//   node --import tsx wasm/make-state.ts <packages.json>

import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { BOOT, type GuestManifest, gunzip, sha256Hex } from "../src/vm/assets.ts";
import { defaultGuestDir, startNodeGuest } from "../src/vm/node.ts";

const dir = defaultGuestDir;
const packages = JSON.parse(await readFile(process.argv[2], "utf8")) as Record<string, string>;

async function describe(name: string) {
  const data = new Uint8Array(await readFile(path.join(dir, name)));
  const entry: GuestManifest["files"][string] = { sha256: await sha256Hex(data), size: data.length };
  if (name.endsWith(".gz")) {
    const raw = await gunzip(data);
    entry.decoded = { sha256: await sha256Hex(raw), size: raw.length };
  }
  return entry;
}

async function writeManifest(names: string[]): Promise<void> {
  const manifest: GuestManifest = {
    boot: BOOT,
    files: Object.fromEntries(await Promise.all(names.map(async (n) => [n, await describe(n)] as const))),
    packages: { ...packages, v86: BOOT.v86 },
    built: new Date().toISOString(),
  };
  await writeFile(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
}

const base = ["bios.bin", "vgabios.bin", "bzImage", "initrd.cpio"];
await writeManifest(base);

const serial: number[] = [];
const t0 = performance.now();
const vm = await startNodeGuest({
  dir,
  mode: "cold",
  onSerial: (b) => serial.push(...b),
  timeoutMs: 120_000,
}).catch((err) => {
  console.error(Buffer.from(serial).toString());
  throw err;
});
console.log(`cold boot to agent ready: ${Math.round(performance.now() - t0)} ms`);

const check = await vm.exec(["uname", "-m"]);
if (check.stdout.trim() !== "i686") throw new Error(`unexpected uname -m: ${JSON.stringify(check)}`);
// Let the boot settle (the serial shell prints its prompt) before saving.
await new Promise((r) => setTimeout(r, 1000));
// Freed memory keeps its old bytes and would bloat the state: fill the free
// memory with zeros once and free it again. (init_on_free=1 would do this on
// every free, at a cost to boot and to every process.)
const fill = await vm.exec([
  "sh",
  "-c",
  "mkdir -p /mnt/zero && mount -t tmpfs -o size=80% zero /mnt/zero && (dd if=/dev/zero of=/mnt/zero/z bs=1048576 2>/dev/null; true) && rm /mnt/zero/z && umount /mnt/zero && rmdir /mnt/zero",
]);
if (fill.exitCode !== 0) throw new Error(`zero fill failed: ${fill.stderr}`);

const raw = new Uint8Array(await vm.saveState());
const gz = gzipSync(raw, { level: 9 });
await writeFile(path.join(dir, "state.bin.gz"), gz);
console.log(`state: ${raw.length} bytes raw, ${gz.length} bytes gzip`);
await vm.shutdown();

await writeManifest([...base, "state.bin.gz"]);

// The state must restore: try it once.
const t1 = performance.now();
const restored = await startNodeGuest({ dir });
const again = await restored.exec(["uname", "-m"]);
console.log(`restore check: ${again.stdout.trim()} in ${Math.round(performance.now() - t1)} ms`);
await restored.shutdown();
process.exit(0);
