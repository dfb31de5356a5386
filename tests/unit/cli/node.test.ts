import { mkdtemp, rm, symlink, writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nodeIO } from "../../../src/cli/node.ts";

describe("nodeIO", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("reads, writes, stats and lists local files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-cli-"));
    dirs.push(dir);
    await writeFile(join(dir, "a.txt"), "hello");
    await symlink("a.txt", join(dir, "link"));
    const io = nodeIO();
    expect(io.cwd).toBe(process.cwd());
    expect(await io.stat!(join(dir, "a.txt"))).toMatchObject({ type: "file", size: 5 });
    expect(await io.stat!(join(dir, "link"))).toMatchObject({ type: "symlink", linkTarget: "a.txt" });
    expect(await io.stat!(join(dir, "nope"))).toBeNull();
    expect((await io.readDir!(dir)).sort()).toEqual(["a.txt", "link"]);
    await io.mkdir!(join(dir, "sub"));
    await io.writeFile!(join(dir, "sub", "b.sh"), new TextEncoder().encode("#!/bin/sh"), { mode: 0o755, mtimeMs: 1_700_000_000_000 });
    const st = await io.stat!(join(dir, "sub", "b.sh"));
    expect(st).toMatchObject({ type: "file", mode: 0o755, mtimeMs: 1_700_000_000_000 });
    expect(new TextDecoder().decode(await io.readFile!(join(dir, "a.txt")))).toBe("hello");
    await io.symlink!("b.sh", join(dir, "sub", "l"));
    expect(await io.stat!(join(dir, "sub", "l"))).toMatchObject({ type: "symlink" });
    expect(String(await readFile(join(dir, "sub", "l")))).toBe("#!/bin/sh");
  });
});
