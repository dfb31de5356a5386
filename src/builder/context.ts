// The build context: the files a build may COPY or ADD, after .dockerignore.
// Sources are matched as Docker does: a path or a glob (Go's filepath.Match,
// per path), a directory stands for its contents, and a missing source is an
// error that names it.
import { DockerignoreMatcher, cleanPath, parseDockerignore } from "../dockerfile/index.ts";
import { BerthError } from "../core/errors.ts";
import { sha256 } from "../core/sha256.ts";

export interface ContextFile {
  path: string;
  /** File contents; for a symlink, its target. */
  data: Uint8Array;
  /** Permission bits; 0o120000 set marks a symlink (as in st_mode). */
  mode?: number;
  /** Milliseconds since the epoch (JavaScript time, as the CLI and the workspace send it). */
  mtime?: number;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

export interface ContextItem {
  /** Path relative to the context root, no leading slash; "" is the root. */
  path: string;
  type: "file" | "dir" | "symlink";
  mode: number;
  mtime: number;
  data?: Uint8Array;
  linkname?: string;
}

/** One matched source: the item and everything under it (for a directory). */
export interface SourceMatch {
  root: ContextItem;
  /** Paths relative to the matched root ("" for the root itself), with their items. */
  items: { rel: string; item: ContextItem }[];
}

const norm = (p: string) => cleanPath(p.replace(/^\/+/, "")).replace(/^\.$/, "").replace(/^\/+/, "");

export class BuildContext {
  private readonly items = new Map<string, ContextItem>();

  constructor(files: ContextFile[], opts: { dockerfile?: string } = {}) {
    const ignoreFile = files.find((f) => norm(f.path) === ".dockerignore");
    const matcher = ignoreFile ? new DockerignoreMatcher(parseDockerignore(new TextDecoder().decode(ignoreFile.data))) : null;
    const keep = new Set([norm(opts.dockerfile ?? "Dockerfile"), ".dockerignore"]);
    this.items.set("", { path: "", type: "dir", mode: 0o755, mtime: 0 });
    for (const f of files) {
      const path = norm(f.path);
      if (!path) continue;
      // Docker still sends the Dockerfile and .dockerignore even when ignored.
      if (matcher?.ignores(path) && !keep.has(path)) continue;
      const mtime = Math.floor((f.mtime ?? 0) / 1000);
      if (f.mode !== undefined && (f.mode & S_IFMT) === S_IFLNK) {
        this.items.set(path, { path, type: "symlink", mode: 0o777, mtime, linkname: new TextDecoder().decode(f.data) });
      } else {
        this.items.set(path, { path, type: "file", mode: (f.mode ?? 0o644) & 0o7777, mtime, data: f.data });
      }
      const parts = path.split("/");
      for (let i = 1; i < parts.length; i++) {
        const dir = parts.slice(0, i).join("/");
        if (!this.items.has(dir)) this.items.set(dir, { path: dir, type: "dir", mode: 0o755, mtime: 0 });
      }
    }
  }

  get size(): number {
    return this.items.size - 1;
  }

  /** Matches a COPY/ADD source (path or glob) against the context. */
  match(source: string): SourceMatch[] {
    const pattern = norm(source);
    const hasGlob = /[*?[\\]/.test(pattern);
    const roots: ContextItem[] = [];
    if (!hasGlob) {
      const item = this.items.get(pattern);
      if (item) roots.push(item);
    } else {
      const re = globToRegExp(pattern);
      for (const item of this.items.values()) if (item.path && re.test(item.path)) roots.push(item);
      roots.sort((a, b) => (a.path < b.path ? -1 : 1));
    }
    if (roots.length === 0) {
      throw new BerthError("not-found", `failed to calculate checksum: "/${pattern}": not found`);
    }
    return roots.map((root) => ({ root, items: this.under(root) }));
  }

  private under(root: ContextItem): { rel: string; item: ContextItem }[] {
    if (root.type === "file") return [{ rel: "", item: root }];
    const prefix = root.path ? root.path + "/" : "";
    const out: { rel: string; item: ContextItem }[] = [];
    for (const item of this.items.values()) {
      if (item.path === root.path) out.push({ rel: "", item });
      else if (item.path.startsWith(prefix)) out.push({ rel: item.path.slice(prefix.length), item });
    }
    out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    return out;
  }

  /** Content checksum of matched sources for the cache: paths, types, modes and file digests. */
  static async checksum(matches: SourceMatch[]): Promise<{ digest: string; files: Record<string, string> }> {
    const files: Record<string, string> = {};
    for (const m of matches) {
      for (const { item } of m.items) {
        files[item.path || "."] =
          item.type === "dir"
            ? `dir:${item.mode.toString(8)}`
            : item.type === "symlink"
              ? `link:${item.linkname}`
              : `${item.mode.toString(8)}:${await sha256(item.data!)}`;
      }
    }
    const keys = Object.keys(files).sort();
    const digest = await sha256(new TextEncoder().encode(keys.map((k) => `${k}\0${files[k]}`).join("\n")));
    return { digest, files };
  }
}

/** Go's filepath.Match as a RegExp over a whole slash-separated path ("*" never crosses "/"). */
export function globToRegExp(pattern: string): RegExp {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\" && i + 1 < pattern.length) re += "\\" + pattern[++i];
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) throw new BerthError("invalid-argument", `syntax error in pattern: ${pattern}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith("^")) cls = "^" + cls.slice(1).replace(/\\/g, "\\\\");
      re += `[${cls}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(re + "$");
}
