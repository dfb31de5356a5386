// A small tar reader and writer (POSIX ustar, with PAX headers for long
// names and GNU long-name records on read) for `docker cp`: the engine's
// archive calls take and give tars, the local side is files.

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

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder();

function writeString(buf: Uint8Array, offset: number, length: number, s: string): void {
  const bytes = enc.encode(s);
  buf.set(bytes.subarray(0, length), offset);
}

function writeOctal(buf: Uint8Array, offset: number, length: number, n: number): void {
  const s = Math.max(0, Math.floor(n)).toString(8).padStart(length - 1, "0");
  writeString(buf, offset, length, s.length > length - 1 ? s.slice(-(length - 1)) : s);
}

const TYPE_FLAG: Record<TarEntryType, string> = { file: "0", hardlink: "1", symlink: "2", dir: "5", other: "0" };

function header(name: string, prefix: string, entry: { type: string; mode: number; size: number; mtime: number; linkTarget?: string }, flag: string): Uint8Array {
  const h = new Uint8Array(BLOCK);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, entry.mode & 0o7777);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, entry.size);
  writeOctal(h, 136, 12, entry.mtime);
  h.fill(0x20, 148, 156);
  writeString(h, 156, 1, flag);
  writeString(h, 157, 100, entry.linkTarget ?? "");
  writeString(h, 257, 6, "ustar\0");
  writeString(h, 263, 2, "00");
  writeString(h, 265, 32, "root");
  writeString(h, 297, 32, "root");
  writeString(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  writeString(h, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const len = enc.encode(body).length;
  let total = len + String(len).length;
  if (String(total).length !== String(len).length) total = len + String(total).length;
  return `${total}${body}`;
}

function splitName(path: string): { name: string; prefix: string } | null {
  if (enc.encode(path).length <= 100) return { name: path, prefix: "" };
  for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (enc.encode(prefix).length <= 155 && enc.encode(name).length <= 100 && name !== "") return { name, prefix };
  }
  return null;
}

function padded(data: Uint8Array): Uint8Array[] {
  const rem = data.length % BLOCK;
  return rem === 0 ? [data] : [data, new Uint8Array(BLOCK - rem)];
}

/** Writes entries (directories with a trailing "/" or not) into a tar. */
export function writeTar(entries: readonly TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const path = e.type === "dir" && !e.path.endsWith("/") ? e.path + "/" : e.path;
    const size = e.type === "file" ? (e.data?.length ?? 0) : 0;
    const meta = { type: e.type, mode: e.mode, size, mtime: e.mtime, ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}) };
    let split = splitName(path);
    const longLink = e.linkTarget !== undefined && enc.encode(e.linkTarget).length > 100;
    if (!split || longLink) {
      let pax = "";
      if (!split) pax += paxRecord("path", path);
      if (longLink) pax += paxRecord("linkpath", e.linkTarget!);
      const paxData = enc.encode(pax);
      parts.push(header("PaxHeaders/" + path.slice(-80).replace(/^\/+/, ""), "", { type: "x", mode: 0o644, size: paxData.length, mtime: e.mtime }, "x"), ...padded(paxData));
      split ??= { name: path.slice(-99), prefix: "" };
      if (longLink) meta.linkTarget = e.linkTarget!.slice(0, 100);
    }
    parts.push(header(split.name, split.prefix, meta, TYPE_FLAG[e.type]));
    if (size > 0) parts.push(...padded(e.data!));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function readString(buf: Uint8Array, offset: number, length: number): string {
  let end = offset;
  while (end < offset + length && buf[end] !== 0) end++;
  return dec.decode(buf.subarray(offset, end));
}

function readNumber(buf: Uint8Array, offset: number, length: number): number {
  if (buf[offset]! & 0x80) {
    // base-256 (GNU) for large values
    let n = buf[offset]! & 0x7f;
    for (let i = 1; i < length; i++) n = n * 256 + buf[offset + i]!;
    return n;
  }
  const s = readString(buf, offset, length).trim();
  return s === "" ? 0 : parseInt(s, 8);
}

function parsePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const text = dec.decode(data);
  let i = 0;
  while (i < text.length) {
    const space = text.indexOf(" ", i);
    if (space < 0) break;
    const len = Number(text.slice(i, space));
    if (!Number.isFinite(len) || len <= 0) break;
    const record = text.slice(space + 1, i + len - 1);
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Reads a tar into entries (paths without a trailing "/"). Throws on a truncated archive. */
export function readTar(tar: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let at = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  while (at + BLOCK <= tar.length) {
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    const size = readNumber(h, 124, 12);
    const flag = String.fromCharCode(h[156]!);
    const dataStart = at + BLOCK;
    if (dataStart + size > tar.length) throw new Error("archive/tar: truncated archive");
    const data = tar.subarray(dataStart, dataStart + size);
    at = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (flag === "x") {
      pax = parsePax(data);
      continue;
    }
    if (flag === "g") continue;
    if (flag === "L") {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (flag === "K") {
      longLink = readString(data, 0, data.length);
      continue;
    }
    const name = readString(h, 0, 100);
    const magic = readString(h, 257, 6);
    const prefix = magic.startsWith("ustar") ? readString(h, 345, 155) : "";
    let path = pax.path ?? longName ?? (prefix ? `${prefix}/${name}` : name);
    const linkTarget = pax.linkpath ?? longLink ?? readString(h, 157, 100);
    const type: TarEntryType = flag === "5" ? "dir" : flag === "2" ? "symlink" : flag === "1" ? "hardlink" : flag === "0" || flag === "\0" || flag === "7" ? "file" : "other";
    path = path.replace(/^\.\//, "").replace(/\/+$/, "");
    const entry: TarEntry = { path, type, mode: readNumber(h, 100, 8), size: type === "file" ? size : 0, mtime: Number(pax.mtime ?? readNumber(h, 136, 12)) };
    if (type === "symlink" || type === "hardlink") entry.linkTarget = linkTarget;
    if (type === "file") entry.data = data;
    if (path !== "" && path !== ".") entries.push(entry);
    pax = {};
    longName = undefined;
    longLink = undefined;
  }
  return entries;
}
