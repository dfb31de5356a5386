// Tar archives: a reader and a writer over whole buffers.
//
// Reads what the tools that make image layers write: POSIX ustar, PAX
// extended headers ('x', per entry) and global headers ('g', for every entry
// after them), GNU long names and long link names ('L', 'K') and GNU base-256
// numbers. Every header's checksum is checked; a bad one is an
// invalid-argument error naming the entry number, the byte offset and the
// entry before it.
//
// Writes ustar, adding a PAX header only for an entry with a field that does
// not fit (path or link name too long or not ASCII, size/uid/gid/mtime too
// big, fractional mtime, long user or group names, xattrs). The output
// depends only on the entries given, in the order given: no clock, no user
// database, no host details.
//
// Paths are normalised on read and write: "./" and "/" prefixes, empty and
// "." components are dropped and ".." is resolved without climbing above the
// root, so "./a//b/../c/" reads as "a/c". The archive root ("./") reads as
// "". A directory is written with a trailing "/". Symlink targets are kept as
// they are; hard link targets are paths in the archive and are normalised.
//
// Xattr values are byte strings: one character per byte (code 0-255), so
// binary values survive and text values read naturally ("y").

import { BerthError } from "./errors.ts";
import { concatBytes } from "./bytes.ts";

export type TarEntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";

export interface TarEntry {
  /** Normalised path (see the file comment); "" is the archive root. */
  readonly path: string;
  readonly type: TarEntryType;
  /** Permission bits including setuid/setgid/sticky (0o7777 at most). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  /** Bytes of data; always data.length (0 for everything but files). */
  readonly size: number;
  /** Seconds since the epoch; may be fractional when a PAX header says so. */
  readonly mtime: number;
  /** Symlink target as stored, or the normalised path a hard link points at; "" otherwise. */
  readonly linkname: string;
  readonly devmajor: number;
  readonly devminor: number;
  /** Extended attributes, name → byte string. */
  readonly xattrs: Readonly<Record<string, string>>;
  /** File contents (a view into the archive buffer when read). */
  readonly data: Uint8Array;
}

/** What the writer needs: a path and a type; everything else has a default. */
export interface TarEntryInput {
  readonly path: string;
  readonly type: TarEntryType;
  /** Default 0o755 for dirs, 0o777 for symlinks, 0o644 otherwise. */
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly uname?: string;
  readonly gname?: string;
  /** Seconds since the epoch; default 0. */
  readonly mtime?: number;
  readonly linkname?: string;
  readonly devmajor?: number;
  readonly devminor?: number;
  readonly xattrs?: Readonly<Record<string, string>>;
  /** File contents (files only); a string is written as UTF-8. */
  readonly data?: Uint8Array | string;
}

const BLOCK = 512;
const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8");

// ---------------------------------------------------------------------------
// Paths

/**
 * Normalises an archive path: no leading "./" or "/", no empty or "."
 * components, ".." resolved but never above the root, no trailing "/".
 */
export function normalizeTarPath(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}

/**
 * Compares two normalised paths component by component, so a directory's
 * subtree follows it directly; components compare by code point (UTF-8 byte
 * order). Equivalent to comparing code points with "/" below everything else.
 */
export function compareTarPaths(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) {
      if (x === 0x2f) return -1;
      if (y === 0x2f) return 1;
      return x - y;
    }
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return a.length - i - (b.length - j);
}

/** Orders strings by code point (UTF-8 byte order); plain `<` compares UTF-16 units. */
function compareBytes(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------------------
// Reading

/** Where an entry sits in the archive: from its first header (extension headers included) to the end of its data. */
export interface TarEntrySpan {
  readonly entry: TarEntry;
  /** Offset of the first header block of this entry (a PAX or GNU long-name header if it has one). */
  readonly start: number;
  /** Offset just past the entry's padded data. */
  readonly end: number;
}

/** All entries of an uncompressed tar. */
export function readTar(archive: Uint8Array): TarEntry[] {
  return [...iterateTar(archive)];
}

/** Entries of an uncompressed tar, one at a time. */
export function* iterateTar(archive: Uint8Array): Generator<TarEntry> {
  for (const span of iterateTarSpans(archive)) yield span.entry;
}

function corrupt(message: string, offset: number, index: number, previous: string | undefined): BerthError {
  const where = `entry ${index + 1} at offset ${offset}${previous === undefined ? "" : `, after ${JSON.stringify(previous)}`}`;
  return new BerthError("invalid-argument", `tar: ${message} (${where})`, { offset, entry: index + 1 });
}

function isZeroBlock(archive: Uint8Array, offset: number): boolean {
  for (let i = offset; i < offset + BLOCK; i++) if (archive[i] !== 0) return false;
  return true;
}

/** A NUL-terminated header string field. */
function field(block: Uint8Array, offset: number, length: number): Uint8Array {
  const bytes = block.subarray(offset, offset + length);
  const nul = bytes.indexOf(0);
  return nul < 0 ? bytes : bytes.subarray(0, nul);
}

function textField(block: Uint8Array, offset: number, length: number): string {
  return utf8.decode(field(block, offset, length));
}

/** A numeric header field: octal (space/NUL padded) or GNU base-256. Returns NaN if malformed. */
function numberField(block: Uint8Array, offset: number, length: number): number {
  const first = block[offset]!;
  if (first & 0x80) {
    // Base-256, big-endian two's complement: 0x80 marks a positive number, 0xff a negative one.
    let value = 0;
    if (first === 0xff) {
      for (let i = 0; i < length; i++) value = value * 256 + (255 - block[offset + i]!);
      value = -(value + 1);
    } else {
      value = first & 0x7f;
      for (let i = 1; i < length; i++) value = value * 256 + block[offset + i]!;
    }
    return Number.isSafeInteger(value) ? value : NaN;
  }
  let i = offset;
  const end = offset + length;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = block[i]!;
    if (c < 0x30 || c > 0x37) break;
    value = value * 8 + (c - 0x30);
    digits++;
  }
  for (; i < end; i++) if (block[i] !== 0x20 && block[i] !== 0) return NaN;
  return digits === 0 ? 0 : value;
}

function checksumOk(block: Uint8Array, stored: number): { unsigned: number; ok: boolean } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  // Some old tars summed signed chars; accept both, as GNU tar does.
  return { unsigned, ok: stored === unsigned || stored === signed };
}

/** Parses PAX records ("<len> <key>=<value>\n"); values are kept as raw bytes. */
function parsePax(data: Uint8Array, fail: (message: string) => never): Map<string, Uint8Array> {
  const records = new Map<string, Uint8Array>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // padding some writers leave
    const space = data.indexOf(0x20, pos);
    if (space < 0) fail("malformed PAX record: no length");
    const lengthText = utf8.decode(data.subarray(pos, space));
    if (!/^[0-9]+$/.test(lengthText)) fail(`malformed PAX record length ${JSON.stringify(lengthText)}`);
    const length = Number(lengthText);
    const end = pos + length;
    if (length <= space - pos + 1 || end > data.length || data[end - 1] !== 0x0a) {
      fail(`malformed PAX record at byte ${pos} of the extended header`);
    }
    const record = data.subarray(space + 1, end - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) fail(`malformed PAX record at byte ${pos} of the extended header: no key`);
    records.set(utf8.decode(record.subarray(0, eq)), record.subarray(eq + 1));
    pos = end;
  }
  return records;
}

function byteString(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

function base64Decode(text: string): Uint8Array {
  const clean = text.replace(/=+$/, "");
  const binary = atob(clean + "=".repeat((4 - (clean.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

const TYPEFLAGS: Readonly<Record<string, TarEntryType>> = {
  "0": "file",
  "\0": "file",
  "7": "file", // contiguous file: a regular file everywhere that matters
  "1": "hardlink",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "dir",
  "6": "fifo",
};

const HEADER_ONLY: ReadonlySet<TarEntryType> = new Set(["hardlink", "symlink", "char", "block", "dir", "fifo"]);

/** Entries with their byte ranges in the archive (used to copy entries without re-encoding them). */
export function* iterateTarSpans(archive: Uint8Array): Generator<TarEntrySpan> {
  const global = new Map<string, Uint8Array>();
  let local: Map<string, Uint8Array> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let start = -1;
  let offset = 0;
  let index = 0;
  let previous: string | undefined;

  while (offset + BLOCK <= archive.length) {
    if (isZeroBlock(archive, offset)) {
      if (start >= 0) throw corrupt("archive ends after an extended header with no entry for it", offset, index, previous);
      return; // end-of-archive marker (one or two zero blocks; what follows is padding)
    }
    const header = archive.subarray(offset, offset + BLOCK);
    const fail = (message: string): never => {
      throw corrupt(message, offset, index, previous);
    };
    const stored = numberField(header, 148, 8);
    const sum = checksumOk(header, stored);
    if (!sum.ok) {
      fail(
        `corrupt header: checksum ${Number.isNaN(stored) ? "unreadable" : `0o${stored.toString(8)}`} stored, 0o${sum.unsigned.toString(8)} computed`,
      );
    }
    if (start < 0) start = offset;
    const flag = String.fromCharCode(header[156]!);
    const size = numberField(header, 124, 12);
    if (Number.isNaN(size) || size < 0) fail("corrupt header: bad size field");
    const dataStart = offset + BLOCK;

    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      const dataEnd = dataStart + size;
      if (dataEnd > archive.length) fail(`truncated: extended header needs ${size} bytes, archive ends first`);
      const data = archive.subarray(dataStart, dataEnd);
      if (flag === "x") local = parsePax(data, fail);
      else if (flag === "g") {
        for (const [key, value] of parsePax(data, fail)) {
          if (value.length === 0) global.delete(key);
          else global.set(key, value);
        }
        start = -1; // a global header belongs to no single entry
      } else if (flag === "L") longName = utf8.decode(field(data, 0, data.length));
      else longLink = utf8.decode(field(data, 0, data.length));
      offset = dataStart + padded(size);
      continue;
    }

    const pax = new Map(global);
    if (local !== undefined) {
      for (const [key, value] of local) {
        if (value.length === 0) pax.delete(key);
        else pax.set(key, value);
      }
    }
    const paxText = (key: string): string | undefined => {
      const v = pax.get(key);
      return v === undefined ? undefined : utf8.decode(v);
    };
    const paxNumber = (key: string, fallback: number, integer: boolean): number => {
      const text = paxText(key);
      if (text === undefined) return fallback;
      const value = Number(text);
      if (text.trim() === "" || !Number.isFinite(value) || (integer && !Number.isSafeInteger(value))) {
        fail(`PAX record ${key}=${JSON.stringify(text)} is not a number`);
      }
      return value;
    };

    const magic = textField(header, 257, 6);
    const version = textField(header, 263, 2);
    let name = textField(header, 0, 100);
    // Only POSIX ustar has a prefix field; in GNU headers those bytes hold other things.
    if (magic === "ustar" && version === "00") {
      const prefix = textField(header, 345, 155);
      if (prefix !== "") name = `${prefix}/${name}`;
    }
    const rawPath = paxText("path") ?? longName ?? name;
    let type = TYPEFLAGS[flag];
    if (type === undefined) {
      const what = flag === "S" ? "GNU sparse files are" : flag === "V" ? "volume labels are" : `type ${JSON.stringify(flag)} is`;
      fail(`${what} not supported (${JSON.stringify(rawPath)})`);
    }
    if (type === "file" && flag !== "7" && rawPath.endsWith("/")) type = "dir"; // pre-POSIX directories
    const headerMode = numberField(header, 100, 8);
    const uid = paxNumber("uid", numberField(header, 108, 8), true);
    const gid = paxNumber("gid", numberField(header, 116, 8), true);
    const mtime = paxNumber("mtime", numberField(header, 136, 12), false);
    const totalSize = paxNumber("size", size, true);
    if ([headerMode, uid, gid, mtime].some(Number.isNaN)) fail(`corrupt header: bad numeric field (${JSON.stringify(rawPath)})`);
    const rawLink = paxText("linkpath") ?? longLink ?? textField(header, 157, 100);
    const dataLength = HEADER_ONLY.has(type) ? 0 : totalSize;
    const dataEnd = dataStart + dataLength;
    if (dataEnd > archive.length) {
      fail(`truncated: ${JSON.stringify(rawPath)} needs ${dataLength} bytes of data, archive has ${archive.length - dataStart}`);
    }

    const xattrs: Record<string, string> = {};
    for (const [key, value] of pax) {
      if (key.startsWith("SCHILY.xattr.")) xattrs[key.slice("SCHILY.xattr.".length)] = byteString(value);
      else if (key.startsWith("LIBARCHIVE.xattr.")) {
        xattrs[decodeURIComponent(key.slice("LIBARCHIVE.xattr.".length))] = byteString(base64Decode(utf8.decode(value)));
      }
    }

    const path = normalizeTarPath(rawPath);
    const entry: TarEntry = {
      path,
      type,
      mode: headerMode & 0o7777,
      uid,
      gid,
      uname: paxText("uname") ?? textField(header, 265, 32),
      gname: paxText("gname") ?? textField(header, 297, 32),
      size: dataLength,
      mtime,
      linkname: type === "hardlink" ? normalizeTarPath(rawLink) : type === "symlink" ? rawLink : "",
      devmajor: type === "char" || type === "block" ? numberField(header, 329, 8) : 0,
      devminor: type === "char" || type === "block" ? numberField(header, 337, 8) : 0,
      xattrs,
      data: archive.subarray(dataStart, dataEnd),
    };
    const end = dataStart + padded(dataLength);
    yield { entry, start, end: Math.min(end, archive.length) };

    previous = path;
    index++;
    local = undefined;
    longName = undefined;
    longLink = undefined;
    start = -1;
    offset = end;
  }
  if (offset < archive.length) {
    throw corrupt(`truncated: ${archive.length - offset} bytes at the end are not a whole header`, offset, index, previous);
  }
  if (start >= 0) throw corrupt("archive ends after an extended header with no entry for it", offset, index, previous);
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

// ---------------------------------------------------------------------------
// Writing

/** Fills in the defaults of an entry to write and normalises its path. */
export function tarEntry(input: TarEntryInput): TarEntry {
  const type = input.type;
  if (!Object.values(TYPEFLAGS).includes(type)) {
    throw new BerthError("invalid-argument", `tar: ${JSON.stringify(input.path)}: unknown entry type ${JSON.stringify(type)}`);
  }
  const data = typeof input.data === "string" ? encoder.encode(input.data) : (input.data ?? new Uint8Array(0));
  if (type !== "file" && data.length > 0) {
    throw new BerthError("invalid-argument", `tar: ${JSON.stringify(input.path)}: a ${type} cannot have data`);
  }
  const linkname = input.linkname ?? "";
  if ((type === "symlink" || type === "hardlink") && linkname === "") {
    throw new BerthError("invalid-argument", `tar: ${JSON.stringify(input.path)}: a ${type} needs a linkname`);
  }
  return {
    path: normalizeTarPath(input.path),
    type,
    mode: (input.mode ?? (type === "dir" ? 0o755 : type === "symlink" ? 0o777 : 0o644)) & 0o7777,
    uid: input.uid ?? 0,
    gid: input.gid ?? 0,
    uname: input.uname ?? "",
    gname: input.gname ?? "",
    size: data.length,
    mtime: input.mtime ?? 0,
    linkname: type === "hardlink" ? normalizeTarPath(linkname) : type === "symlink" ? linkname : "",
    devmajor: input.devmajor ?? 0,
    devminor: input.devminor ?? 0,
    xattrs: input.xattrs ?? {},
    data,
  };
}

const TYPE_TO_FLAG: Readonly<Record<TarEntryType, string>> = {
  file: "0",
  hardlink: "1",
  symlink: "2",
  char: "3",
  block: "4",
  dir: "5",
  fifo: "6",
};

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

/** Writes `value` as NUL-terminated octal if it fits in `length` bytes; returns false if not. */
function putOctal(block: Uint8Array, offset: number, length: number, value: number): boolean {
  if (!Number.isSafeInteger(value) || value < 0) return false;
  const text = value.toString(8);
  if (text.length > length - 1) return false;
  const padded = text.padStart(length - 1, "0");
  for (let i = 0; i < padded.length; i++) block[offset + i] = padded.charCodeAt(i);
  block[offset + length - 1] = 0;
  return true;
}

/** Base-256 for numbers without a PAX key (device numbers). */
function putBase256(block: Uint8Array, offset: number, length: number, value: number): void {
  let v = BigInt(value);
  for (let i = length - 1; i >= 1; i--) {
    block[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  block[offset] = value < 0 ? 0xff : 0x80;
}

function putText(block: Uint8Array, offset: number, length: number, bytes: Uint8Array): void {
  block.set(bytes.subarray(0, length), offset);
}

/** "<len> <key>=<value>\n", where len counts itself. */
function paxRecord(key: string, value: Uint8Array): Uint8Array {
  const body = encoder.encode(` ${key}=`);
  const rest = body.length + value.length + 1;
  let length = rest + String(rest).length;
  if (String(length).length !== String(rest).length) length = rest + String(length).length;
  const out = new Uint8Array(length);
  const prefix = encoder.encode(String(length));
  out.set(prefix, 0);
  out.set(body, prefix.length);
  out.set(value, prefix.length + body.length);
  out[length - 1] = 0x0a;
  return out;
}

function fromByteString(s: string, what: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new BerthError("invalid-argument", `tar: ${what}: xattr values are byte strings (characters 0-255)`);
    out[i] = c;
  }
  return out;
}

function formatMtime(mtime: number): string {
  if (Number.isInteger(mtime)) return String(mtime);
  // Up to nanoseconds, without exponent notation.
  return mtime.toFixed(9).replace(/0+$/, "");
}

/** Splits a path into ustar prefix (≤155 bytes) and name (≤100 bytes) at a "/", if possible. */
function splitUstar(path: Uint8Array): { prefix: Uint8Array; name: Uint8Array } | undefined {
  if (path.length <= 100) return { prefix: new Uint8Array(0), name: path };
  for (let i = Math.min(path.length - 1, 155); i > 0; i--) {
    if (path[i] === 0x2f && path.length - i - 1 <= 100 && path.length - i - 1 > 0) {
      return { prefix: path.subarray(0, i), name: path.subarray(i + 1) };
    }
  }
  return undefined;
}

function header(fields: {
  name: Uint8Array;
  prefix: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  flag: string;
  linkname: Uint8Array;
  uname: Uint8Array;
  gname: Uint8Array;
  devmajor: number;
  devminor: number;
}): Uint8Array {
  const block = new Uint8Array(BLOCK);
  putText(block, 0, 100, fields.name);
  putOctal(block, 100, 8, fields.mode);
  putOctal(block, 108, 8, fields.uid);
  putOctal(block, 116, 8, fields.gid);
  putOctal(block, 124, 12, fields.size);
  putOctal(block, 136, 12, fields.mtime);
  block[156] = fields.flag.charCodeAt(0);
  putText(block, 157, 100, fields.linkname);
  putText(block, 257, 6, encoder.encode("ustar\0"));
  putText(block, 263, 2, encoder.encode("00"));
  putText(block, 265, 32, fields.uname);
  putText(block, 297, 32, fields.gname);
  if (!putOctal(block, 329, 8, fields.devmajor)) putBase256(block, 329, 8, fields.devmajor);
  if (!putOctal(block, 337, 8, fields.devminor)) putBase256(block, 337, 8, fields.devminor);
  putText(block, 345, 155, fields.prefix);
  let sum = 0;
  block.fill(0x20, 148, 156);
  for (let i = 0; i < BLOCK; i++) sum += block[i]!;
  const text = sum.toString(8).padStart(6, "0");
  for (let i = 0; i < 6; i++) block[148 + i] = text.charCodeAt(i);
  block[154] = 0;
  block[155] = 0x20;
  return block;
}

function fitsOctal(value: number, length: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value.toString(8).length <= length - 1;
}

/** The blocks of one entry: an optional PAX header, the ustar header, the padded data. */
function encodeEntry(entry: TarEntry): Uint8Array[] {
  const path = entry.type === "dir" && entry.path !== "" ? `${entry.path}/` : entry.path === "" ? "./" : entry.path;
  const pathBytes = encoder.encode(path);
  const linkBytes = encoder.encode(entry.linkname);
  const unameBytes = encoder.encode(entry.uname);
  const gnameBytes = encoder.encode(entry.gname);
  const pax: Uint8Array[] = [];
  const add = (key: string, value: string | Uint8Array) =>
    pax.push(paxRecord(key, typeof value === "string" ? encoder.encode(value) : value));

  let split = isAscii(path) ? splitUstar(pathBytes) : undefined;
  if (split === undefined) {
    add("path", path);
    split = { prefix: new Uint8Array(0), name: pathBytes.subarray(0, 100) };
  }
  let linkField = linkBytes;
  if (linkBytes.length > 100 || !isAscii(entry.linkname)) {
    add("linkpath", entry.linkname);
    linkField = linkBytes.subarray(0, 100);
  }
  const size = entry.data.length;
  if (!fitsOctal(size, 12)) add("size", String(size));
  if (!fitsOctal(entry.uid, 8)) add("uid", String(entry.uid));
  if (!fitsOctal(entry.gid, 8)) add("gid", String(entry.gid));
  const wholeMtime = Math.floor(entry.mtime);
  if (!fitsOctal(wholeMtime, 12) || wholeMtime !== entry.mtime) add("mtime", formatMtime(entry.mtime));
  if (unameBytes.length > 32 || !isAscii(entry.uname)) add("uname", entry.uname);
  if (gnameBytes.length > 32 || !isAscii(entry.gname)) add("gname", entry.gname);
  for (const key of Object.keys(entry.xattrs).sort(compareBytes)) {
    add(`SCHILY.xattr.${key}`, fromByteString(entry.xattrs[key]!, `${entry.path}: xattr ${key}`));
  }

  const blocks: Uint8Array[] = [];
  if (pax.length > 0) {
    // Records sorted by key so the bytes do not depend on the order above.
    const body = concatBytes(pax.sort((a, b) => compareBytes(paxKey(a), paxKey(b))));
    const base = entry.path.split("/").pop() || ".";
    const dir = entry.path.includes("/") ? entry.path.slice(0, entry.path.lastIndexOf("/") + 1) : "";
    const paxName = encoder.encode(`${dir}PaxHeaders.0/${base}`);
    blocks.push(
      header({
        name: paxName.length <= 100 ? paxName : paxName.subarray(paxName.length - 100),
        prefix: new Uint8Array(0),
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: body.length,
        mtime: 0,
        flag: "x",
        linkname: new Uint8Array(0),
        uname: new Uint8Array(0),
        gname: new Uint8Array(0),
        devmajor: 0,
        devminor: 0,
      }),
      ...dataBlocks(body),
    );
  }
  blocks.push(
    header({
      name: split.name,
      prefix: split.prefix,
      mode: entry.mode & 0o7777,
      uid: fitsOctal(entry.uid, 8) ? entry.uid : 0,
      gid: fitsOctal(entry.gid, 8) ? entry.gid : 0,
      size: fitsOctal(size, 12) ? size : 0,
      mtime: fitsOctal(wholeMtime, 12) ? wholeMtime : 0,
      flag: TYPE_TO_FLAG[entry.type],
      linkname: linkField,
      uname: unameBytes.length <= 32 ? unameBytes : new Uint8Array(0),
      gname: gnameBytes.length <= 32 ? gnameBytes : new Uint8Array(0),
      devmajor: entry.devmajor,
      devminor: entry.devminor,
    }),
    ...dataBlocks(entry.data),
  );
  return blocks;
}

function paxKey(record: Uint8Array): string {
  const space = record.indexOf(0x20);
  const eq = record.indexOf(0x3d, space);
  return utf8.decode(record.subarray(space + 1, eq));
}

function dataBlocks(data: Uint8Array): Uint8Array[] {
  if (data.length === 0) return [];
  const rest = data.length % BLOCK;
  return rest === 0 ? [data] : [data, new Uint8Array(BLOCK - rest)];
}


/** Writes entries, in the order given, as a tar with the two-block end marker. */
export function writeTar(entries: Iterable<TarEntryInput | TarEntry>): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const input of entries) blocks.push(...encodeEntry(tarEntry(input)));
  blocks.push(new Uint8Array(2 * BLOCK));
  return concatBytes(blocks);
}

/**
 * The archive without some of its entries (spans from iterateTarSpans), with
 * every other byte kept as it was, global headers included; ends with the
 * end marker.
 */
export function tarWithout(archive: Uint8Array, drop: Iterable<Pick<TarEntrySpan, "start" | "end">>): Uint8Array {
  let end = 0;
  for (const span of iterateTarSpans(archive)) end = span.end;
  const ranges = [...drop].sort((a, b) => a.start - b.start);
  const parts: Uint8Array[] = [];
  let pos = 0;
  for (const range of ranges) {
    if (range.start > pos) parts.push(archive.subarray(pos, range.start));
    pos = Math.max(pos, range.end);
  }
  if (end > pos) parts.push(archive.subarray(pos, end));
  parts.push(new Uint8Array(2 * BLOCK));
  return concatBytes(parts);
}
