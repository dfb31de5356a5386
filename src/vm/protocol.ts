// The host side of the guest agent protocol (wasm/agent/protocol.h is the
// other side; the two change together, PROTOCOL_VERSION says which).
//
// Frame: u32 length (of what follows), u8 type, u8 flags, u16 reserved,
// u32 id, payload. Little-endian throughout.

import { concatBytes } from "../core/bytes.ts";

export const PROTOCOL_VERSION = 1;
export const FRAME_HEADER = 12;
export const MAX_FRAME = 1024 * 1024;

export const Msg = {
  // host -> guest
  PING: 0x01,
  SPAWN: 0x02,
  STDIN: 0x03,
  SIGNAL: 0x04,
  RESIZE: 0x05,
  FILEOP: 0x06,
  RESUME: 0x07,
  // guest -> host
  READY: 0x81,
  PONG: 0x82,
  SPAWNED: 0x83,
  STDOUT: 0x84,
  STDERR: 0x85,
  EXIT: 0x86,
  ERROR: 0x87,
  RESULT: 0x88,
  ACK: 0x89,
} as const;

const Sp = {
  ARG: 1,
  ENV: 2,
  CWD: 3,
  UID: 4,
  GID: 5,
  TTY: 6,
  NS: 7,
  ROOTFS: 8,
  MOUNT: 9,
  HOSTNAME: 10,
  CGROUP: 11,
  GROUPS: 12,
  STDIN: 13,
  ROOTFS_RO: 14,
  PAUSED: 15,
  JOIN: 16,
  DEVICE: 17,
} as const;

export const FileOp = {
  MKDIR: 1,
  STAT: 2,
  REMOVE: 3,
  COPY: 4,
  WRITE: 5,
  READ: 6,
  MOUNT: 7,
  UMOUNT: 8,
  WHITEOUT: 9,
  OPAQUE: 10,
  LIST_OPAQUE: 11,
  SETTIME: 12,
  BRIDGE: 13,
  VETH: 14,
  LINKDEL: 15,
} as const;

export const CloneFlag = {
  mount: 0x00020000,
  cgroup: 0x02000000,
  uts: 0x04000000,
  ipc: 0x08000000,
  user: 0x10000000,
  pid: 0x20000000,
  net: 0x40000000,
} as const;
export type Namespace = keyof typeof CloneFlag;

export const MountFlag = {
  rdonly: 1,
  nosuid: 2,
  nodev: 4,
  noexec: 8,
  bind: 4096,
  rec: 16384,
  private: 1 << 18,
} as const;
export type MountFlagName = keyof typeof MountFlag;

export interface MountSpec {
  source: string;
  target: string;
  type?: string;
  /** Filesystem options, e.g. "lowerdir=/a:/b,upperdir=/u,workdir=/w". */
  data?: string;
  flags?: MountFlagName[];
  /** "host": before entering the rootfs (paths as the agent sees them); "rootfs": inside it. */
  phase?: "host" | "rootfs";
}

export interface SpawnSpec {
  argv: string[];
  env?: string[];
  cwd?: string;
  uid?: number;
  gid?: number;
  groups?: number[];
  /** Run on a new pseudo-terminal of this size. */
  tty?: { rows: number; cols: number };
  /** Keep stdin open as a pipe (without a tty); otherwise stdin is /dev/null. */
  stdin?: boolean;
  namespaces?: Namespace[];
  /** Directory to pivot_root into (chroot without a mount namespace). */
  rootfs?: string;
  /** Mount the rootfs read-only (docker run --read-only). */
  rootfsReadOnly?: boolean;
  hostname?: string;
  /** Stop right before exec until GuestProcess.resume() (to set up its network first). */
  paused?: boolean;
  /** Join the namespaces of this running process (guest pid), as docker exec does. */
  join?: number;
  /** A cgroup directory under /sys/fs/cgroup to run in. */
  cgroup?: string;
  mounts?: MountSpec[];
  /** Device nodes made after the "host" mounts (paths as the agent sees them). */
  devices?: DeviceSpec[];
}

export interface DeviceSpec {
  path: string;
  /** Character devices only (all a container gets). */
  major: number;
  minor: number;
  /** Permission bits, e.g. 0o666. */
  mode: number;
}

const enc = new TextEncoder();

export function encodeFrame(type: number, id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER + payload.length);
  const dv = new DataView(frame.buffer);
  dv.setUint32(0, FRAME_HEADER - 4 + payload.length, true);
  dv.setUint8(4, type);
  dv.setUint32(8, id >>> 0, true);
  frame.set(payload, FRAME_HEADER);
  return frame;
}

export function u32(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setUint32(i * 4, v >>> 0, true));
  return out;
}

/** One buffer holding the parts one after another. */
export const concat = concatBytes;

function field(tag: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + value.length);
  out[0] = tag;
  new DataView(out.buffer).setUint32(1, value.length, true);
  out.set(value, 5);
  return out;
}

export function encodeSpawn(spec: SpawnSpec): Uint8Array {
  if (spec.argv.length === 0) throw new Error("spawn needs a command");
  const parts: Uint8Array[] = [];
  for (const a of spec.argv) parts.push(field(Sp.ARG, enc.encode(a)));
  for (const e of spec.env ?? []) parts.push(field(Sp.ENV, enc.encode(e)));
  if (spec.cwd) parts.push(field(Sp.CWD, enc.encode(spec.cwd)));
  if (spec.uid !== undefined) parts.push(field(Sp.UID, u32(spec.uid)));
  if (spec.gid !== undefined) parts.push(field(Sp.GID, u32(spec.gid)));
  if (spec.groups?.length) parts.push(field(Sp.GROUPS, u32(...spec.groups)));
  if (spec.tty) {
    const t = new Uint8Array(4);
    const dv = new DataView(t.buffer);
    dv.setUint16(0, spec.tty.rows, true);
    dv.setUint16(2, spec.tty.cols, true);
    parts.push(field(Sp.TTY, t));
  }
  if (spec.stdin) parts.push(field(Sp.STDIN, new Uint8Array([1])));
  if (spec.namespaces?.length) {
    let flags = 0;
    for (const ns of spec.namespaces) flags |= CloneFlag[ns];
    parts.push(field(Sp.NS, u32(flags)));
  }
  if (spec.rootfs) parts.push(field(Sp.ROOTFS, enc.encode(spec.rootfs)));
  if (spec.rootfsReadOnly) parts.push(field(Sp.ROOTFS_RO, new Uint8Array([1])));
  if (spec.paused) parts.push(field(Sp.PAUSED, new Uint8Array([1])));
  if (spec.join) parts.push(field(Sp.JOIN, u32(spec.join)));
  if (spec.hostname) parts.push(field(Sp.HOSTNAME, enc.encode(spec.hostname)));
  if (spec.cgroup) parts.push(field(Sp.CGROUP, enc.encode(spec.cgroup)));
  for (const m of spec.mounts ?? []) {
    let flags = 0;
    for (const f of m.flags ?? []) flags |= MountFlag[f];
    const strs = enc.encode(`${m.source}\0${m.target}\0${m.type ?? ""}\0${m.data ?? ""}\0`);
    const head = new Uint8Array(5);
    head[0] = m.phase === "rootfs" ? 1 : 0;
    new DataView(head.buffer).setUint32(1, flags >>> 0, true);
    parts.push(field(Sp.MOUNT, concat([head, strs])));
  }
  for (const d of spec.devices ?? []) {
    const head = new Uint8Array(12);
    const view = new DataView(head.buffer);
    view.setUint32(0, (0o020000 | (d.mode & 0o7777)) >>> 0, true); // S_IFCHR
    view.setUint32(4, d.major, true);
    view.setUint32(8, d.minor, true);
    parts.push(field(Sp.DEVICE, concat([head, enc.encode(d.path)])));
  }
  return concat(parts);
}

export interface Frame {
  type: number;
  id: number;
  payload: Uint8Array;
}

/** Splits a byte stream into frames. */
export class FrameDecoder {
  private buf = new Uint8Array(64 * 1024);
  private len = 0;

  push(chunk: Uint8Array, onFrame: (f: Frame) => void): void {
    if (this.len + chunk.length > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + chunk.length));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
    let off = 0;
    const dv = new DataView(this.buf.buffer);
    while (this.len - off >= 4) {
      const flen = dv.getUint32(off, true);
      if (flen < FRAME_HEADER - 4 || flen > MAX_FRAME + FRAME_HEADER) {
        throw new Error(`guest agent sent a bad frame (length ${flen}): the channel is out of sync`);
      }
      if (this.len - off < 4 + flen) break;
      const type = this.buf[off + 4];
      const id = dv.getUint32(off + 8, true);
      const payload = this.buf.slice(off + FRAME_HEADER, off + 4 + flen);
      off += 4 + flen;
      onFrame({ type, id, payload });
    }
    this.buf.copyWithin(0, off, this.len);
    this.len -= off;
  }
}

export interface StatResult {
  type: "file" | "directory" | "symlink" | "char" | "block" | "fifo" | "socket";
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkTarget?: string;
}

const statTypes: Record<string, StatResult["type"]> = {
  f: "file",
  d: "directory",
  l: "symlink",
  c: "char",
  b: "block",
  p: "fifo",
  s: "socket",
};

export function decodeStat(p: Uint8Array): StatResult {
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const result: StatResult = {
    type: statTypes[String.fromCharCode(p[0])] ?? "file",
    mode: dv.getUint32(1, true),
    uid: dv.getUint32(5, true),
    gid: dv.getUint32(9, true),
    size: Number(dv.getBigUint64(13, true)),
    mtime: Number(dv.getBigInt64(21, true)),
  };
  if (p.length > 29) result.linkTarget = new TextDecoder().decode(p.subarray(29));
  return result;
}
