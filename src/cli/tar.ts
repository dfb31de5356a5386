// The CLI's view of tar archives for `docker cp` and `docker build -`: a
// thin adapter over the one tar reader and writer in src/core/tar.ts.
import { readTar as readCoreTar, writeTar as writeCoreTar, type TarEntryInput } from "../core/tar.ts";

export type TarEntryType = "file" | "dir" | "symlink" | "hardlink" | "other";

export interface TarEntry {
  path: string;
  type: TarEntryType;
  mode: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkTarget?: string;
  data?: Uint8Array;
}

/** Writes entries (directories with a trailing "/" or not) into a tar; "other" entries are skipped. */
export function writeTar(entries: readonly TarEntry[]): Uint8Array {
  const out: TarEntryInput[] = [];
  for (const e of entries) {
    if (e.type === "other") continue;
    out.push({
      path: e.path,
      type: e.type,
      mode: e.mode,
      mtime: e.mtime,
      ...(e.linkTarget !== undefined ? { linkname: e.linkTarget } : {}),
      ...(e.type === "file" ? { data: e.data ?? new Uint8Array(0) } : {}),
    });
  }
  return writeCoreTar(out);
}

/** The entries of a tar: paths without "./" or a trailing "/"; devices and fifos are "other". */
export function readTar(tar: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  for (const e of readCoreTar(tar)) {
    if (e.path === "") continue;
    const type: TarEntryType = e.type === "file" || e.type === "dir" || e.type === "symlink" || e.type === "hardlink" ? e.type : "other";
    const entry: TarEntry = { path: e.path, type, mode: e.mode, size: type === "file" ? e.size : 0, mtime: e.mtime };
    if (type === "symlink" || type === "hardlink") entry.linkTarget = e.linkname;
    if (type === "file") entry.data = e.data;
    entries.push(entry);
  }
  return entries;
}
