// A restore zeroes only the low MiB of a new instance's memory (skipFreshZeroing
// in src/vm/guest.ts): the guest's memory after the restore must be exactly
// what v86's own zeroing of all of it gives.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { V86 } from "v86";
import { describe, expect, it } from "vitest";
import { skipFreshZeroing } from "../../src/vm/guest.ts";
import { defaultGuestDir, nodeWasm } from "../../src/vm/node.ts";

const file = (name: string) => readFile(path.join(defaultGuestDir, name));
const own = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);

interface Cpu {
  mem8: { byteOffset: number; length: number };
  wasm_memory: WebAssembly.Memory;
}

/** The guest memory's sha256 right after a restore (the emulator not started). */
async function memoryAfterRestore(skip: boolean): Promise<string> {
  const manifest = JSON.parse((await file("manifest.json")).toString("utf8")) as { boot: { memoryMB: number; cmdline: string } };
  const bytes = manifest.boot.memoryMB * 1024 * 1024;
  const module = await nodeWasm();
  const emulator = new V86({
    wasm_fn: async (env: WebAssembly.Imports) => {
      const exports = (await WebAssembly.instantiate(module, env)).exports;
      return skip ? skipFreshZeroing(exports, bytes) : exports;
    },
    memory_size: bytes,
    vga_memory_size: 2 * 1024 * 1024,
    bios: { buffer: own(await file("bios.bin")) },
    vga_bios: { buffer: own(await file("vgabios.bin")) },
    cmdline: manifest.boot.cmdline,
    filesystem: {},
    virtio_console: true,
    autostart: false,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
    initial_state: { buffer: own(gunzipSync(await file("state.bin.gz"))) },
  } as unknown as ConstructorParameters<typeof V86>[0]);
  await new Promise<void>((r) => emulator.add_listener("emulator-ready", () => r()));
  const cpu = (emulator as unknown as { v86: { cpu: Cpu } }).v86.cpu;
  const mem = new Uint8Array(cpu.wasm_memory.buffer, cpu.mem8.byteOffset, cpu.mem8.length);
  const digest = createHash("sha256").update(mem).digest("hex");
  await emulator.destroy();
  return digest;
}

describe("restore", () => {
  it("leaves the same guest memory when it zeroes only the low MiB of a new instance", async () => {
    const full = await memoryAfterRestore(false);
    expect(await memoryAfterRestore(true)).toBe(full);
  });
});
