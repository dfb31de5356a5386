// A tiny in-memory file system for the CLI's local side (cp, build, --env-file).

import type { CliIO, LocalStat } from "../../../src/cli/io.ts";

export const MTIME = Date.parse("2026-11-28T00:00:00.000Z");

const enc = new TextEncoder();
const dec = new TextDecoder();

export class MemFs {
  readonly files = new Map<string, { data?: Uint8Array; dir?: boolean; mode: number; link?: string }>();
  constructor(init: Record<string, string | Uint8Array> = {}) {
    this.files.set("/", { dir: true, mode: 0o755 });
    for (const [p, d] of Object.entries(init)) this.write(p, typeof d === "string" ? enc.encode(d) : d);
  }
  write(path: string, data: Uint8Array, mode = 0o644): void {
    const parts = path.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = "/" + parts.slice(0, i).join("/");
      if (!this.files.has(dir)) this.files.set(dir, { dir: true, mode: 0o755 });
    }
    this.files.set(path, { data, mode });
  }
  text(path: string): string | undefined {
    const f = this.files.get(path);
    return f?.data ? dec.decode(f.data) : undefined;
  }
  io(): Pick<CliIO, "readFile" | "writeFile" | "stat" | "readDir" | "mkdir" | "symlink"> {
    return {
      readFile: async (p) => {
        const f = this.files.get(p);
        if (!f || !f.data) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
        return f.data;
      },
      writeFile: async (p, data, opts) => {
        const parent = p.slice(0, p.lastIndexOf("/")) || "/";
        if (!this.files.get(parent)?.dir) throw Object.assign(new Error(`ENOENT: ${parent}`), { code: "ENOENT" });
        this.files.set(p, { data, mode: opts?.mode ?? 0o644 });
      },
      stat: async (p): Promise<LocalStat | null> => {
        const f = this.files.get(p === "" ? "/" : p);
        if (!f) return null;
        if (f.link !== undefined) return { type: "symlink", size: 0, mode: 0o777, mtimeMs: MTIME, linkTarget: f.link };
        return { type: f.dir ? "dir" : "file", size: f.data?.length ?? 0, mode: f.mode, mtimeMs: MTIME };
      },
      readDir: async (p) => {
        const prefix = p === "/" ? "/" : p + "/";
        return [...this.files.keys()].filter((k) => k !== p && k.startsWith(prefix) && !k.slice(prefix.length).includes("/")).map((k) => k.slice(prefix.length));
      },
      mkdir: async (p, opts) => {
        this.files.set(p, { dir: true, mode: opts?.mode ?? 0o755 });
      },
      symlink: async (target, p) => {
        this.files.set(p, { link: target, mode: 0o777 });
      },
    };
  }
}

