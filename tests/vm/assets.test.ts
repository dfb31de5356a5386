// A broken or missing guest asset gives a clear error naming the file and the
// checksum, before anything boots.
import { cp, mkdtemp, rm, writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultGuestDir, startNodeGuest } from "../../src/vm/node.ts";

let dir: string;

async function copyGuest(): Promise<string> {
  dir = await mkdtemp(path.join(tmpdir(), "berth-guest-"));
  await cp(defaultGuestDir, dir, { recursive: true });
  return dir;
}

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("guest assets", () => {
  it("names the file and both checksums when a file was altered", async () => {
    const d = await copyGuest();
    const file = path.join(d, "state.bin.gz");
    const bytes = await readFile(file);
    bytes[1000] ^= 0xff;
    await writeFile(file, bytes);
    const manifest = JSON.parse(await readFile(path.join(d, "manifest.json"), "utf8"));
    const err = await startNodeGuest({ dir: d }).catch((e) => e);
    expect(err.kind).toBe("asset");
    expect(err.message).toContain(file);
    expect(err.message).toContain(manifest.files["state.bin.gz"].sha256);
  });

  it("says which file is missing", async () => {
    const d = await copyGuest();
    await rm(path.join(d, "bios.bin"));
    const err = await startNodeGuest({ dir: d }).catch((e) => e);
    expect(err.kind).toBe("asset");
    expect(err.message).toMatch(/guest asset missing: .*bios\.bin/);
  });

  it("says when there is no manifest at all", async () => {
    const d = await copyGuest();
    await rm(path.join(d, "manifest.json"));
    const err = await startNodeGuest({ dir: d }).catch((e) => e);
    expect(err.kind).toBe("asset");
    expect(err.message).toContain("manifest.json");
  });
});
