// Share a workspace by URL: its files (and optionally commands to run) go into
// the URL fragment, so nothing is uploaded anywhere and the server never sees
// them. Format of the fragment:
//
//   #share=v1.<base64url of deflate-raw of UTF-8 JSON>
//
// JSON: {"files": [{"path", "text"} | {"path", "base64"}, "mode"?, "mtime"?],
//        "commands"?: [..], "epoch"?: seconds}.
//
// "mtime" (milliseconds) and "epoch" (the workspace's SOURCE_DATE_EPOCH) make
// the files build the same image digest wherever the link is opened.
//
// Everything read from a link is untrusted: paths are checked like the
// workspace checks them (relative, no "..", no control characters), sizes are
// capped before and after decompression, and the UI renders names and
// contents as text only.

import { DEFAULT_FILE_MODE, WORKSPACE_LIMITS, checkFileMode, workspacePathProblem } from "../engine/workspace.ts";

export const SHARE_VERSION = "v1";
export const SHARE_KEY = "share=";
const PREFIX = `${SHARE_KEY}${SHARE_VERSION}.`;

/** Longest fragment (characters after "#") a share link may have. */
export const SHARE_LIMIT = 64 * 1024;
/** Most bytes a link may unpack to (a small fragment can inflate a lot). */
export const SHARE_UNPACKED_LIMIT = 8 * 1024 * 1024;
export const SHARE_MAX_FILES = 1000;
export const SHARE_MAX_COMMANDS = 50;
export const SHARE_MAX_COMMAND_LENGTH = 4096;

export interface SharedFile {
  path: string;
  data: Uint8Array;
  mode: number;
  /** Modification time in milliseconds since 1970 (absent in older links). */
  mtime?: number;
}

export interface SharePayload {
  files: SharedFile[];
  /** Commands to run after the user clicks Run (never before). */
  commands: string[];
  /** The workspace's SOURCE_DATE_EPOCH (seconds), for builds that give the same digest. */
  epoch?: number;
}

export type ShareErrorReason = "too-large" | "invalid" | "unsupported-version";

export class ShareError extends Error {
  readonly reason: ShareErrorReason;
  /** For "too-large": the size it would have been and the limit, in bytes. */
  readonly size?: number;
  readonly limit?: number;

  constructor(reason: ShareErrorReason, message: string, sizes: { size?: number; limit?: number } = {}) {
    super(message);
    this.name = "ShareError";
    this.reason = reason;
    this.size = sizes.size;
    this.limit = sizes.limit;
  }
}

/** "12.3 KB" style sizes (1 KB = 1024 bytes), for messages. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// --- base64url --------------------------------------------------------------

export function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new ShareError("invalid", "the link's data is not base64url");
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  let bin: string;
  try {
    bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  } catch {
    throw new ShareError("invalid", "the link's data is not base64url");
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function fromBase64(text: string, path: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(text);
  } catch {
    throw new ShareError("invalid", `the data of ${JSON.stringify(path)} is not base64`);
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// --- deflate ------------------------------------------------------------------

async function readAll(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ShareError("too-large", `the link unpacks to more than ${formatBytes(limit)}`, { size: total, limit });
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function pipeBytes(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): ReadableStream<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  return source.pipeThrough(transform as unknown as TransformStream<Uint8Array, Uint8Array>);
}

export async function deflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  return readAll(pipeBytes(bytes, new CompressionStream("deflate-raw")), Number.MAX_SAFE_INTEGER);
}

export async function inflateRaw(bytes: Uint8Array, limit = SHARE_UNPACKED_LIMIT): Promise<Uint8Array> {
  try {
    return await readAll(pipeBytes(bytes, new DecompressionStream("deflate-raw")), limit);
  } catch (err) {
    if (err instanceof ShareError) throw err;
    throw new ShareError("invalid", "the link's data is damaged (it does not decompress)");
  }
}

// --- encode / decode --------------------------------------------------------------

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** The bytes as text if they are UTF-8 without NUL, else null. */
function asText(data: Uint8Array): string | null {
  if (data.includes(0)) return null;
  try {
    return decoder.decode(data);
  } catch {
    return null;
  }
}

interface WireFile {
  path: string;
  text?: string;
  base64?: string;
  mode?: number;
  mtime?: number;
}

interface WireShare {
  files: WireFile[];
  commands?: string[];
  epoch?: number;
}

const isTime = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;

function problemWithCommand(cmd: unknown): string | null {
  if (typeof cmd !== "string") return "a command must be text";
  if (cmd.length > SHARE_MAX_COMMAND_LENGTH) return `a command can be at most ${SHARE_MAX_COMMAND_LENGTH} characters`;
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(cmd)) return "a command cannot contain control characters or line breaks";
  return null;
}

function checkPayload(payload: SharePayload): void {
  if (payload.files.length > SHARE_MAX_FILES) throw new ShareError("invalid", `a link can hold at most ${SHARE_MAX_FILES} files`);
  const seen = new Set<string>();
  for (const f of payload.files) {
    const problem = workspacePathProblem(f.path);
    if (problem) throw new ShareError("invalid", `the file name ${JSON.stringify(f.path)} is not allowed: ${problem}`);
    if (seen.has(f.path)) throw new ShareError("invalid", `the file ${JSON.stringify(f.path)} appears twice`);
    seen.add(f.path);
    try {
      checkFileMode(f.mode);
    } catch {
      throw new ShareError("invalid", `the mode of ${JSON.stringify(f.path)} is not valid`);
    }
  }
  for (const f of seen) {
    const slash = f.indexOf("/");
    for (let i = slash; i !== -1; i = f.indexOf("/", i + 1)) {
      if (seen.has(f.slice(0, i))) throw new ShareError("invalid", `${JSON.stringify(f.slice(0, i))} is both a file and a folder`);
    }
  }
  for (const f of payload.files) {
    if (f.mtime !== undefined && !isTime(f.mtime)) throw new ShareError("invalid", `the time of ${JSON.stringify(f.path)} is not valid`);
  }
  if (payload.epoch !== undefined && !isTime(payload.epoch)) throw new ShareError("invalid", "the link's SOURCE_DATE_EPOCH is not valid");
  if (payload.commands.length > SHARE_MAX_COMMANDS) throw new ShareError("invalid", `a link can hold at most ${SHARE_MAX_COMMANDS} commands`);
  for (const c of payload.commands) {
    const problem = problemWithCommand(c);
    if (problem) throw new ShareError("invalid", `the command ${JSON.stringify(c)} is not allowed: ${problem}`);
  }
}

export interface EncodedShare {
  /** The fragment without "#": "share=v1.…". */
  fragment: string;
  /** Its length in characters (= bytes, it is ASCII). */
  size: number;
  limit: number;
}

/**
 * Encodes files and commands as a link fragment. Throws ShareError
 * "too-large" (with `size` and `limit`) when it would not fit in `limit`.
 */
export async function encodeShare(payload: SharePayload, limit = SHARE_LIMIT): Promise<EncodedShare> {
  const normalized: SharePayload = {
    files: payload.files.map((f) => ({ path: f.path, data: f.data, mode: f.mode ?? DEFAULT_FILE_MODE, mtime: f.mtime })),
    commands: payload.commands ?? [],
    epoch: payload.epoch,
  };
  checkPayload(normalized);
  const raw = normalized.files.reduce((n, f) => n + f.data.byteLength, 0);
  if (raw > SHARE_UNPACKED_LIMIT) {
    throw new ShareError(
      "too-large",
      `The workspace is ${formatBytes(raw)}, too large for a link: a link holds at most ${formatBytes(limit)} (compressed). Remove large files and try again.`,
      { size: raw, limit },
    );
  }
  const wire: WireShare = {
    files: normalized.files.map((f) => {
      const text = asText(f.data);
      const file: WireFile = text !== null ? { path: f.path, text } : { path: f.path, base64: toBase64(f.data) };
      if (f.mode !== DEFAULT_FILE_MODE) file.mode = f.mode;
      if (f.mtime !== undefined) file.mtime = f.mtime;
      return file;
    }),
  };
  if (normalized.commands.length) wire.commands = normalized.commands;
  if (normalized.epoch !== undefined) wire.epoch = normalized.epoch;
  const json = encoder.encode(JSON.stringify(wire));
  if (json.byteLength > SHARE_UNPACKED_LIMIT) {
    throw new ShareError("too-large", `The workspace is ${formatBytes(json.byteLength)}, too large for a link.`, { size: json.byteLength, limit });
  }
  const fragment = PREFIX + toBase64Url(await deflateRaw(json));
  if (fragment.length > limit) {
    throw new ShareError(
      "too-large",
      `This workspace makes a link of ${formatBytes(fragment.length)} (compressed); a link can hold at most ${formatBytes(limit)}. Remove large files and try again.`,
      { size: fragment.length, limit },
    );
  }
  return { fragment, size: fragment.length, limit };
}

/** True when `hash` (with or without "#") is a share link of any version. */
export function isShareFragment(hash: string): boolean {
  return hash.replace(/^#/, "").startsWith(SHARE_KEY);
}

/**
 * Decodes a fragment made by `encodeShare`. Returns null when `hash` is not a
 * share link at all; throws ShareError when it is one but cannot be used.
 */
export async function decodeShare(hash: string, limit = SHARE_LIMIT): Promise<SharePayload | null> {
  const fragment = hash.replace(/^#/, "");
  if (!fragment.startsWith(SHARE_KEY)) return null;
  if (fragment.length > limit) {
    throw new ShareError("too-large", `the link is ${formatBytes(fragment.length)}; links can be at most ${formatBytes(limit)}`, { size: fragment.length, limit });
  }
  if (!fragment.startsWith(PREFIX)) {
    const version = fragment.slice(SHARE_KEY.length).split(".")[0];
    throw new ShareError("unsupported-version", `this link was made by another version of Berth (format ${JSON.stringify(version.slice(0, 20))}); this page reads ${SHARE_VERSION}`);
  }
  const json = await inflateRaw(fromBase64Url(fragment.slice(PREFIX.length)));
  let wire: unknown;
  try {
    wire = JSON.parse(decoder.decode(json));
  } catch {
    throw new ShareError("invalid", "the link's data is damaged (not JSON)");
  }
  const w = wire as Partial<WireShare> | null;
  if (typeof w !== "object" || w === null || !Array.isArray(w.files)) throw new ShareError("invalid", "the link has no list of files");
  if (w.commands !== undefined && !Array.isArray(w.commands)) throw new ShareError("invalid", "the link's commands are not a list");
  if (w.files.length > SHARE_MAX_FILES) throw new ShareError("invalid", `a link can hold at most ${SHARE_MAX_FILES} files`);
  const files: SharedFile[] = w.files.map((f: unknown) => {
    const wf = f as Partial<WireFile> | null;
    if (typeof wf !== "object" || wf === null || typeof wf.path !== "string") throw new ShareError("invalid", "a file in the link has no name");
    const problem = workspacePathProblem(wf.path);
    if (problem) throw new ShareError("invalid", `the file name ${JSON.stringify(wf.path)} is not allowed: ${problem}`);
    let data: Uint8Array;
    if (typeof wf.text === "string") data = encoder.encode(wf.text);
    else if (typeof wf.base64 === "string") data = fromBase64(wf.base64, wf.path);
    else throw new ShareError("invalid", `the file ${JSON.stringify(wf.path)} has no contents`);
    if (data.byteLength > WORKSPACE_LIMITS.fileBytes) throw new ShareError("invalid", `the file ${JSON.stringify(wf.path)} is too large`);
    const file: SharedFile = { path: wf.path, data, mode: wf.mode ?? DEFAULT_FILE_MODE };
    if (wf.mtime !== undefined) file.mtime = wf.mtime;
    return file;
  });
  const payload: SharePayload = { files, commands: (w.commands ?? []) as string[] };
  if (w.epoch !== undefined) payload.epoch = w.epoch;
  checkPayload(payload);
  return payload;
}

/** The full link: `base` (the page's address) with its fragment replaced. */
export function shareUrl(base: string, fragment: string): string {
  const url = new URL(base);
  url.hash = fragment;
  return url.href;
}
