// Walking local files through CliIO (for cp and the build context).

import { dockerignoreMatcher } from "../dockerfile/dockerignore.ts";
import { CliError } from "./errors.ts";
import type { BuildContext, CliIO, LocalStat } from "./io.ts";
import { joinPath } from "./paths.ts";
import type { TarEntry } from "./tar.ts";

export interface LocalFs {
  stat(path: string): Promise<LocalStat | null>;
  readDir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Uint8Array>;
}

/** The file functions of `io`, or a CliError naming what is missing. */
export function localFs(io: CliIO, what: string): LocalFs {
  if (!io.stat || !io.readDir || !io.readFile) throw new CliError(`${what}: local files are not available here`);
  return { stat: io.stat.bind(io), readDir: io.readDir.bind(io), readFile: io.readFile.bind(io) };
}

export interface IgnoreRules {
  /** True when the path (relative to the walk's root) is left out. */
  ignores(relative: string): boolean;
  /** When false, an ignored directory is not walked at all. */
  hasExclusions: boolean;
}

/** S_IFLNK in a context entry's mode marks a symlink (its data is the target). */
export const SYMLINK_MODE = 0o120000;

/**
 * Reads `root` (a file, a symlink or a directory tree) into tar entries named
 * `name` and `name/...` (with name "." the entries are relative paths).
 */
export async function collectEntries(fs: LocalFs, root: string, name: string, ignore?: IgnoreRules): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  const child = (parent: string, c: string) => (parent === "" || parent === "." ? c : `${parent}/${c}`);
  const visit = async (abs: string, rel: string, entryName: string) => {
    const st = await fs.stat(abs);
    if (!st) throw new CliError(`lstat ${abs}: no such file or directory`);
    const ignored = rel !== "" && ignore !== undefined && ignore.ignores(rel);
    const mtime = Math.floor(st.mtimeMs / 1000);
    if (st.type === "dir") {
      if (ignored && !ignore!.hasExclusions) return;
      if (!ignored && entryName !== ".") out.push({ path: entryName, type: "dir", mode: st.mode, size: 0, mtime });
      for (const c of (await fs.readDir(abs)).sort()) await visit(joinPath(abs, c), child(rel, c), child(entryName, c));
      return;
    }
    if (ignored) return;
    if (st.type === "symlink") {
      out.push({ path: entryName, type: "symlink", mode: st.mode, size: 0, mtime, linkTarget: st.linkTarget ?? "" });
    } else if (st.type === "file") {
      const data = await fs.readFile(abs);
      out.push({ path: entryName, type: "file", mode: st.mode, size: data.length, mtime, data });
    }
  };
  await visit(root, "", name);
  return out;
}

/**
 * The build context of a local directory, as docker's CLI sends it: every
 * file under `dir` except what .dockerignore excludes (the Dockerfile and
 * .dockerignore themselves are always sent). Symlinks are entries whose mode
 * has S_IFLNK set and whose data is the link target; mtime is in ms.
 */
export async function loadDirectoryContext(fs: LocalFs, dir: string, dockerfile = "Dockerfile"): Promise<BuildContext> {
  const st = await fs.stat(dir);
  if (!st) throw new CliError(`unable to prepare context: path "${dir}" not found`);
  if (st.type !== "dir") throw new CliError(`unable to prepare context: context must be a directory: ${dir}`);
  let ignore: IgnoreRules | undefined;
  const ignoreStat = await fs.stat(joinPath(dir, ".dockerignore"));
  if (ignoreStat?.type === "file") {
    const matcher = dockerignoreMatcher(new TextDecoder().decode(await fs.readFile(joinPath(dir, ".dockerignore"))));
    ignore = { ignores: (p) => p !== ".dockerignore" && p !== dockerfile && matcher.ignores(p), hasExclusions: matcher.hasExclusions };
  }
  const entries = await collectEntries(fs, dir, ".", ignore);
  const enc = new TextEncoder();
  return entries
    .filter((e) => e.type === "file" || e.type === "symlink")
    .map((e) => ({
      path: e.path,
      data: e.type === "symlink" ? enc.encode(e.linkTarget ?? "") : e.data!,
      mode: e.type === "symlink" ? SYMLINK_MODE | (e.mode & 0o7777) : e.mode & 0o7777,
      mtime: e.mtime * 1000,
    }));
}
