// GuestVM: the real Linux guest in v86, and the channel that drives it.
//
// Control goes over the virtio console as frames (protocol.ts) to the guest
// agent; bulk data goes through v86's 9p share (mounted at /mnt/host in the
// guest). The serial console (ttyS0) is a root shell for people only: the
// engine never types into it.

import { V86 } from "v86";
import { BerthError } from "../core/errors.ts";
import {
  type AssetSource,
  type BootConfig,
  type GuestManifest,
  type GuestFile,
  BOOT,
  checkAsset,
  filesFor,
  gunzip,
  isGzip,
  loadManifest,
} from "./assets.ts";
import {
  type Frame,
  type SpawnSpec,
  type StatResult,
  FileOp,
  FrameDecoder,
  MountFlag,
  type MountFlagName,
  Msg,
  PROTOCOL_VERSION,
  concat,
  decodeStat,
  encodeFrame,
  encodeSpawn,
  u32,
} from "./protocol.ts";

// Lives in assets.ts, so that the worker's entry can compile v86.wasm without loading v86.
export { compileOnce } from "./assets.ts";

/** Guest memory below this is written by v86 (the BIOSes) before a restore; above it is still as allocated. */
const LOW_MEMORY = 1024 * 1024;

/**
 * A restore starts with v86 zeroing all of the guest's memory, then writing
 * the saved pages. The memory of a new wasm instance is zero already, except
 * below 1 MiB where v86 has just put the BIOSes (checked for v86 0.5.462,
 * which the manifest pins): zeroing only that part does the same, and spares
 * writing 256 MB (about 150 ms, and the memory stays uncommitted until used).
 */
export function skipFreshZeroing(exports: WebAssembly.Exports, memoryBytes: number): WebAssembly.Exports {
  const zero = exports.zero_memory as (addr: number, len: number) => void;
  let fresh = true;
  return {
    ...exports,
    zero_memory: (addr: number, len: number) => {
      if (fresh && addr === 0 && len === memoryBytes) {
        fresh = false;
        zero(0, LOW_MEMORY);
        return;
      }
      zero(addr, len);
    },
  };
}

/** Where the 9p share is mounted in the guest. */
export const HOST_SHARE = "/mnt/host";

export const DEFAULT_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"];

export interface StartOptions {
  source: AssetSource;
  /** "restore" (default) starts from the saved state; "cold" boots the kernel. */
  mode?: "restore" | "cold";
  /** v86's WebAssembly module, compiled once and shared by every VM (see compileOnce). */
  wasm: () => Promise<WebAssembly.Module>;
  onProgress?: (p: { phase: string; loaded?: number; total?: number }) => void;
  /** Bytes the guest writes to its serial console (the VM console). */
  onSerial?: (bytes: Uint8Array) => void;
  /** Give up when the agent has not answered after this long. */
  timeoutMs?: number;
}

export interface ExitStatus {
  exitCode: number;
  /** The signal that ended the process, or 0. */
  signal: number;
}

type Listener<T> = (value: T) => void;

/** A process running in the guest. */
export class GuestProcess {
  readonly exited: Promise<ExitStatus>;
  private resolveExit!: (s: ExitStatus) => void;
  private stdoutListeners: Listener<Uint8Array>[] = [];
  private stderrListeners: Listener<Uint8Array>[] = [];
  private early: { stream: "stdout" | "stderr"; data: Uint8Array }[] = [];
  exitStatus: ExitStatus | null = null;

  constructor(
    private readonly vm: GuestVM,
    readonly id: number,
    public pid: number,
  ) {
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  /** Receives stdout (with a tty: the terminal's output). Output that came before is replayed. */
  onStdout(fn: Listener<Uint8Array>): void {
    this.stdoutListeners.push(fn);
    this.replay();
  }

  onStderr(fn: Listener<Uint8Array>): void {
    this.stderrListeners.push(fn);
    this.replay();
  }

  write(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    for (let off = 0; off < bytes.length; off += 16384) {
      this.vm.send(Msg.STDIN, this.id, bytes.subarray(off, off + 16384));
    }
  }

  closeStdin(): void {
    this.vm.send(Msg.STDIN, this.id);
  }

  signal(signo: number): void {
    this.vm.send(Msg.SIGNAL, this.id, u32(signo));
  }

  /** Lets a process spawned with `paused` exec. */
  resume(): void {
    this.vm.send(Msg.RESUME, this.id);
  }

  resize(rows: number, cols: number): void {
    const p = new Uint8Array(4);
    const dv = new DataView(p.buffer);
    dv.setUint16(0, rows, true);
    dv.setUint16(2, cols, true);
    this.vm.send(Msg.RESIZE, this.id, p);
  }

  /** @internal */
  deliver(stream: "stdout" | "stderr", data: Uint8Array): void {
    const listeners = stream === "stdout" ? this.stdoutListeners : this.stderrListeners;
    if (listeners.length === 0) {
      this.early.push({ stream, data });
      return;
    }
    for (const fn of listeners) fn(data);
  }

  /** @internal */
  finish(status: ExitStatus): void {
    this.exitStatus = status;
    this.resolveExit(status);
  }

  private replay(): void {
    const keep: typeof this.early = [];
    for (const e of this.early) {
      const listeners = e.stream === "stdout" ? this.stdoutListeners : this.stderrListeners;
      if (listeners.length === 0) keep.push(e);
      else for (const fn of listeners) fn(e.data);
    }
    this.early = keep;
  }
}

export interface ExecResult extends ExitStatus {
  stdout: string;
  stderr: string;
}

interface Pending {
  resolve: (payload: Uint8Array) => void;
  reject: (err: BerthError) => void;
}

// The guest posts 16 receive buffers of one page each on the virtio console,
// and v86 drops input that finds none. We never have more than WINDOW_CHUNKS
// chunks (each at most CHUNK bytes) unacknowledged by the agent.
const CHUNK = 4096;
const WINDOW_CHUNKS = 8;

export class GuestVM {
  private emulator!: V86;
  private decoder = new FrameDecoder();
  private nextId = 1;
  private procs = new Map<number, GuestProcess>();
  private spawning = new Map<number, { resolve: (p: GuestProcess) => void; reject: (e: BerthError) => void }>();
  private pending = new Map<number, Pending>();
  private outQueue: Uint8Array[] = [];
  private outQueued = 0;
  private inflight: number[] = []; // sizes of chunks sent and not yet fully acknowledged
  private flushScheduled = false;
  private readyWaiters: (() => void)[] = [];
  private transferSeq = 0;
  private stopped = false;
  private serialListeners: Listener<Uint8Array>[] = [];
  manifest!: GuestManifest;
  /** How the last start went, for benchmarks and the status line. */
  startInfo = {
    mode: "restore" as "restore" | "cold",
    ms: 0,
    stateBytes: 0,
    /** Where the time went: loading and checking assets, then the machine until the agent answered. */
    phases: {} as Record<string, number>,
  };

  private constructor() {}

  static async start(opts: StartOptions): Promise<GuestVM> {
    const vm = new GuestVM();
    await vm.boot(opts);
    return vm;
  }

  private async boot(opts: StartOptions): Promise<void> {
    const t0 = performance.now();
    const progress = opts.onProgress ?? (() => {});
    const mode = opts.mode ?? "restore";
    progress({ phase: "manifest" });
    // Everything is fetched at once (and v86's wasm compiled meanwhile); each
    // file is checked against the manifest once both are in.
    const wasmModule = opts.wasm();
    const big: GuestFile = mode === "restore" ? "state.bin.gz" : "bzImage";
    const fetches = new Map(
      filesFor(mode).map((name) => {
        const data = opts.source.load(name, name === big ? (loaded, total) => progress({ phase: name, loaded, total }) : undefined);
        data.catch(() => {}); // reported below, after the manifest's own errors
        return [name, data] as const;
      }),
    );
    wasmModule.catch(() => {});
    this.manifest = await loadManifest(opts.source);
    const boot: BootConfig = this.manifest.boot;
    if (boot.memoryMB !== BOOT.memoryMB || boot.cmdline !== BOOT.cmdline || boot.v86 !== BOOT.v86) {
      throw new BerthError(
        "asset",
        `guest assets were built for another setup (${JSON.stringify(boot)}), this code expects ${JSON.stringify(BOOT)}: run npm run guest:build`,
        { file: opts.source.describe("manifest.json") },
      );
    }
    const checked = (name: GuestFile) => fetches.get(name)!.then((data) => checkAsset(opts.source, this.manifest, name, data));
    const [bios, vgaBios] = await Promise.all([checked("bios.bin"), checked("vgabios.bin")]);
    let state: Uint8Array | undefined;
    let bzImage: Uint8Array | undefined;
    let initrd: Uint8Array | undefined;
    if (mode === "restore") {
      const gz = await checked("state.bin.gz");
      progress({ phase: "decompress" });
      // The server may already have decoded it (Content-Encoding: gzip).
      state = isGzip(gz) ? await gunzip(gz) : gz;
      this.startInfo.stateBytes = this.manifest.files["state.bin.gz"].size;
    } else {
      [bzImage, initrd] = await Promise.all([checked("bzImage"), checked("initrd.cpio")]);
    }
    const tWasm = performance.now();
    const wasm = await wasmModule;
    this.startInfo.phases.wasm_wait = Math.round(performance.now() - tWasm);
    progress({ phase: mode === "restore" ? "restore" : "boot" });
    const tEmu = performance.now();
    this.startInfo.phases.load = Math.round(tEmu - t0);

    const ready = new Promise<void>((resolve) => this.readyWaiters.push(resolve));
    const options: Record<string, unknown> = {
      wasm_fn: async (env: WebAssembly.Imports) => {
        const exports = (await WebAssembly.instantiate(wasm, env)).exports;
        return state ? skipFreshZeroing(exports, boot.memoryMB * 1024 * 1024) : exports;
      },
      memory_size: boot.memoryMB * 1024 * 1024,
      vga_memory_size: 2 * 1024 * 1024,
      bios: { buffer: bios.buffer },
      vga_bios: { buffer: vgaBios.buffer },
      cmdline: boot.cmdline,
      filesystem: {},
      virtio_console: true,
      autostart: true,
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
    };
    if (state) options.initial_state = { buffer: state.buffer };
    if (bzImage) options.bzimage = { buffer: bzImage.buffer };
    if (initrd) options.initrd = { buffer: initrd.buffer };

    const emulator = new V86(options as unknown as ConstructorParameters<typeof V86>[0]);
    this.emulator = emulator;
    emulator.add_listener("virtio-console0-output-bytes", (bytes: Uint8Array) => this.onBytes(bytes));
    emulator.add_listener("serial0-output-byte", (byte: number) => {
      const b = new Uint8Array([byte]);
      opts.onSerial?.(b);
      for (const fn of this.serialListeners) fn(b);
    });

    const timeoutMs = opts.timeoutMs ?? 60_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BerthError("unavailable", `the guest agent did not answer within ${timeoutMs} ms of ${mode}`)),
        timeoutMs,
      );
    });
    try {
      if (mode === "restore") {
        // Input sent before the emulator runs again is lost.
        await Promise.race([new Promise<void>((r) => emulator.add_listener("emulator-started", () => r())), timeout]);
        this.startInfo.phases.emulator = Math.round(performance.now() - tEmu);
        // The guest's clock says when its state was saved: setting it is also
        // the first round trip that shows the agent answers.
        await Promise.race([this.setClock(), timeout]);
        this.startInfo.phases.agent = Math.round(performance.now() - tEmu) - this.startInfo.phases.emulator;
      } else {
        await Promise.race([ready, timeout]);
        // The clock of a cold boot comes from the RTC, to the second: set it.
        await Promise.race([this.setClock(), timeout]);
      }
    } catch (err) {
      await this.shutdown();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    this.startInfo.mode = mode;
    this.startInfo.ms = performance.now() - t0;
    this.startInfo.phases.machine = Math.round(performance.now() - tEmu);
    progress({ phase: "ready" });
  }

  // ---------- channel ----------

  /** @internal Queues a frame to the agent. */
  send(type: number, id: number, payload?: Uint8Array): void {
    if (this.stopped) throw new BerthError("unavailable", "the guest is stopped");
    const frame = encodeFrame(type, id, payload);
    this.outQueue.push(frame);
    this.outQueued += frame.length;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.outQueued > 0 && this.inflight.length < WINDOW_CHUNKS) {
      const size = Math.min(CHUNK, this.outQueued);
      const chunk = new Uint8Array(size);
      let off = 0;
      while (off < size) {
        const head = this.outQueue[0];
        const take = Math.min(head.length, size - off);
        chunk.set(head.subarray(0, take), off);
        off += take;
        if (take === head.length) this.outQueue.shift();
        else this.outQueue[0] = head.subarray(take);
      }
      this.outQueued -= size;
      this.inflight.push(size);
      (this.emulator as unknown as V86WithBus).bus.send("virtio-console0-input-bytes", chunk);
    }
  }

  private onAck(bytes: number): void {
    while (bytes > 0 && this.inflight.length > 0) {
      if (this.inflight[0] <= bytes) {
        bytes -= this.inflight.shift()!;
      } else {
        this.inflight[0] -= bytes;
        bytes = 0;
      }
    }
    if (this.outQueued > 0) this.flush();
  }

  private onBytes(bytes: Uint8Array): void {
    try {
      this.decoder.push(bytes, (f) => this.onFrame(f));
    } catch (err) {
      console.error(err);
    }
  }

  private onFrame(f: Frame): void {
    switch (f.type) {
      case Msg.ACK:
        this.onAck(new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0, true));
        return;
      case Msg.READY: {
        const version = new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0, true);
        if (version !== PROTOCOL_VERSION) console.error(`guest agent speaks protocol ${version}, host ${PROTOCOL_VERSION}`);
        for (const fn of this.readyWaiters.splice(0)) fn();
        return;
      }
      case Msg.SPAWNED: {
        const waiter = this.spawning.get(f.id);
        if (!waiter) return;
        this.spawning.delete(f.id);
        const proc = new GuestProcess(this, f.id, new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0, true));
        this.procs.set(f.id, proc);
        waiter.resolve(proc);
        return;
      }
      case Msg.STDOUT:
      case Msg.STDERR:
        this.procs.get(f.id)?.deliver(f.type === Msg.STDOUT ? "stdout" : "stderr", f.payload);
        return;
      case Msg.EXIT: {
        const proc = this.procs.get(f.id);
        if (!proc) return;
        this.procs.delete(f.id);
        const dv = new DataView(f.payload.buffer, f.payload.byteOffset);
        proc.finish({ exitCode: dv.getInt32(0, true), signal: dv.getUint32(4, true) });
        return;
      }
      case Msg.ERROR: {
        const dv = new DataView(f.payload.buffer, f.payload.byteOffset);
        const errno = dv.getInt32(0, true);
        const message = new TextDecoder().decode(f.payload.subarray(4));
        const err = new BerthError(errno === 2 ? "not-found" : "guest", message, { errno });
        const spawn = this.spawning.get(f.id);
        if (spawn) {
          this.spawning.delete(f.id);
          spawn.reject(err);
          return;
        }
        const p = this.pending.get(f.id);
        if (p) {
          this.pending.delete(f.id);
          p.reject(err);
        }
        return;
      }
      case Msg.PONG:
      case Msg.RESULT: {
        const p = this.pending.get(f.id);
        if (p) {
          this.pending.delete(f.id);
          p.resolve(f.payload);
        }
        return;
      }
    }
  }

  private request(type: number, payload: Uint8Array): Promise<Uint8Array> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send(type, id, payload);
    });
  }

  // ---------- processes ----------

  /** Starts a process; resolves once it has been exec'd (or rejects with why not). */
  spawn(spec: SpawnSpec): Promise<GuestProcess> {
    const id = this.nextId++;
    const payload = encodeSpawn({ ...spec, env: spec.env ?? DEFAULT_ENV });
    return new Promise((resolve, reject) => {
      this.spawning.set(id, { resolve, reject });
      this.send(Msg.SPAWN, id, payload);
    });
  }

  /** Runs a command to its end and collects its output. */
  async exec(argv: string[], opts: Omit<SpawnSpec, "argv"> & { input?: Uint8Array | string } = {}): Promise<ExecResult> {
    const { input, ...spec } = opts;
    const proc = await this.spawn({ ...spec, argv, stdin: input !== undefined || spec.stdin });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    proc.onStdout((d) => out.push(d));
    proc.onStderr((d) => err.push(d));
    if (input !== undefined) {
      proc.write(input);
      proc.closeStdin();
    }
    const status = await proc.exited;
    const dec = new TextDecoder();
    return { ...status, stdout: dec.decode(concat(out)), stderr: dec.decode(concat(err)) };
  }

  // ---------- health ----------

  /** Round trip to the agent; resolves with the time it took in ms. */
  async ping(): Promise<number> {
    const t0 = performance.now();
    await this.request(Msg.PING, new Uint8Array([1, 2, 3, 4]));
    return performance.now() - t0;
  }

  // ---------- files ----------

  private fileop(op: number, ...parts: Uint8Array[]): Promise<Uint8Array> {
    return this.request(Msg.FILEOP, concat([new Uint8Array([op]), ...parts]));
  }

  async mkdir(path: string, opts: { mode?: number; parents?: boolean } = {}): Promise<void> {
    await this.fileop(FileOp.MKDIR, u32(opts.mode ?? 0o755), new Uint8Array([opts.parents ? 1 : 0]), enc(path));
  }

  async stat(path: string): Promise<StatResult> {
    return decodeStat(await this.fileop(FileOp.STAT, enc(path)));
  }

  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    await this.fileop(FileOp.REMOVE, new Uint8Array([opts.recursive ? 1 : 0]), enc(path));
  }

  /** Writes a small file through the channel (for configs; use putFile for data). */
  async writeFile(path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
    const bytes = typeof data === "string" ? enc(data) : data;
    await this.fileop(FileOp.WRITE, u32(mode), enc(path + "\0"), bytes);
  }

  /** Reads a small file through the channel. */
  async readFile(path: string): Promise<Uint8Array> {
    return this.fileop(FileOp.READ, enc(path));
  }

  /** Mounts a filesystem in the agent's own mount namespace (e.g. an overlay the host then reads). */
  async mount(m: { source: string; target: string; type?: string; data?: string; flags?: MountFlagName[] }): Promise<void> {
    let flags = 0;
    for (const f of m.flags ?? []) flags |= MountFlag[f];
    await this.fileop(FileOp.MOUNT, u32(flags), enc(`${m.source}\0${m.target}\0${m.type ?? ""}\0${m.data ?? ""}\0`));
  }

  /** Unmounts; `detach` is MNT_DETACH (lazy). */
  async umount(path: string, opts: { detach?: boolean } = {}): Promise<void> {
    await this.fileop(FileOp.UMOUNT, u32(opts.detach ? 2 : 0), enc(path));
  }

  /** Sets the guest's wall clock (CLOCK_REALTIME) to `ms`, by default the host's time now. */
  async setClock(ms = Date.now()): Promise<void> {
    const sec = Math.floor(ms / 1000);
    const args = new Uint8Array(12);
    const view = new DataView(args.buffer);
    view.setUint32(0, sec % 2 ** 32, true);
    view.setUint32(4, Math.floor(sec / 2 ** 32), true);
    view.setUint32(8, Math.round((ms - sec * 1000) * 1e6), true);
    await this.fileop(FileOp.SETTIME, args);
  }

  /**
   * A Linux bridge holding `address/prefix`, up (the agent does it with
   * netlink; nothing happens if a link of that name exists).
   */
  async createBridge(name: string, address: string, prefix: number): Promise<void> {
    await this.fileop(FileOp.BRIDGE, ipv4(address), new Uint8Array([prefix]), enc(name));
  }

  /**
   * A veth pair: `hostIf` on `bridge` and up in the guest's namespace, its
   * peer made in the network namespace of `pid` as `ifname` with `mac` and
   * `address/prefix`, up, and with `gateway` the default route. On failure
   * the agent deletes what it made.
   */
  async createVeth(v: { pid: number; hostIf: string; bridge: string; ifname: string; mac: string; address: string; prefix: number; gateway?: string }): Promise<void> {
    if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(v.mac)) throw new BerthError("internal", `bad MAC address ${v.mac}`);
    const mac = new Uint8Array(v.mac.split(":").map((x) => parseInt(x, 16)));
    await this.fileop(
      FileOp.VETH,
      u32(v.pid),
      ipv4(v.address),
      v.gateway ? ipv4(v.gateway) : new Uint8Array(4),
      new Uint8Array([v.prefix]),
      mac,
      enc(`${v.hostIf}\0${v.bridge}\0${v.ifname}\0`),
    );
  }

  /** Deletes a network link (a veth's peer goes with it); a missing one is fine. */
  async deleteLink(name: string): Promise<void> {
    await this.fileop(FileOp.LINKDEL, enc(name));
  }

  /** Makes an overlayfs whiteout (a char device 0/0) at path. */
  async whiteout(path: string): Promise<void> {
    await this.fileop(FileOp.WHITEOUT, enc(path));
  }

  /** Marks a directory opaque for overlayfs (trusted.overlay.opaque=y). */
  async markOpaque(path: string): Promise<void> {
    await this.fileop(FileOp.OPAQUE, enc(path));
  }

  /** Directories under dir (relative paths) that overlayfs marked opaque. */
  async listOpaque(dir: string): Promise<string[]> {
    const raw = new TextDecoder().decode(await this.fileop(FileOp.LIST_OPAQUE, enc(dir)));
    return raw.split("\0").filter(Boolean);
  }

  /** Puts a file of any size into the guest, through the 9p share. */
  async putFile(path: string, data: Uint8Array, mode?: number): Promise<void> {
    const name = `xfer-${++this.transferSeq}`;
    await this.emulator.create_file(name, data);
    try {
      await this.fileop(FileOp.COPY, enc(`${HOST_SHARE}/${name}\0${path}\0`));
      if (mode !== undefined) await this.exec(["chmod", mode.toString(8), path]);
    } finally {
      await this.fileop(FileOp.REMOVE, new Uint8Array([0]), enc(`${HOST_SHARE}/${name}`));
    }
  }

  /** Gets a file of any size out of the guest, through the 9p share. */
  async getFile(path: string): Promise<Uint8Array> {
    const name = `xfer-${++this.transferSeq}`;
    await this.fileop(FileOp.COPY, enc(`${path}\0${HOST_SHARE}/${name}\0`));
    try {
      return await this.emulator.read_file(name);
    } finally {
      await this.fileop(FileOp.REMOVE, new Uint8Array([0]), enc(`${HOST_SHARE}/${name}`));
    }
  }

  /**
   * Extracts a tar archive into a directory of the guest (created if missing).
   * The archive goes through 9p in large copies to a guest tmpfs first: tar's
   * own small reads straight from 9p would each be a round trip.
   */
  async extractTar(tar: Uint8Array, dir: string): Promise<void> {
    const name = `xfer-${++this.transferSeq}.tar`;
    const local = `/tmp/${name}`;
    await this.emulator.create_file(name, tar);
    try {
      await this.fileop(FileOp.COPY, enc(`${HOST_SHARE}/${name}\0${local}\0`));
      await this.fileop(FileOp.REMOVE, new Uint8Array([0]), enc(`${HOST_SHARE}/${name}`));
      await this.mkdir(dir, { parents: true });
      const r = await this.exec(["tar", "-x", "-f", local, "-C", dir]);
      if (r.exitCode !== 0) throw new BerthError("guest", `extract into ${dir}: ${r.stderr.trim() || `tar exited ${r.exitCode}`}`);
    } finally {
      await this.fileop(FileOp.REMOVE, new Uint8Array([0]), enc(local)).catch(() => {});
      await this.fileop(FileOp.REMOVE, new Uint8Array([0]), enc(`${HOST_SHARE}/${name}`)).catch(() => {});
    }
  }

  /**
   * Makes a tar archive of a directory of the guest (paths relative to it).
   * tar writes into a pipe and dd puts it into the 9p share in 512 KiB
   * writes (tar's own small writes would each be a 9p round trip): one pass
   * over the data in the guest, instead of a copy in a guest tmpfs that the
   * agent then copied out (16 MB: about half the guest's time).
   */
  async createTar(dir: string): Promise<Uint8Array> {
    const name = `xfer-${++this.transferSeq}.tar`;
    const shared = `${HOST_SHARE}/${name}`;
    const cleanUp = () => this.fileop(FileOp.REMOVE, new Uint8Array([0]), enc(shared)).catch(() => {});
    let tar: Uint8Array;
    try {
      const r = await this.exec([
        "sh",
        "-c",
        'set -o pipefail; tar -c -C "$1" . | dd of="$2" bs=512k iflag=fullblock status=none',
        "sh",
        dir,
        shared,
      ]);
      if (r.exitCode !== 0) throw new BerthError("guest", `archive ${dir}: ${r.stderr.trim() || `tar exited ${r.exitCode}`}`);
      tar = await this.emulator.read_file(name);
    } catch (err) {
      await cleanUp();
      throw err;
    }
    // The caller does not wait for the clean-up: its hashing and gzip overlap it.
    void cleanUp();
    return tar;
  }

  // ---------- the VM console ----------

  /** Bytes typed into the VM console (serial ttyS0), by a person. */
  serialWrite(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? enc(data) : data;
    this.emulator.serial_send_bytes(0, bytes);
  }

  onSerial(fn: Listener<Uint8Array>): () => void {
    this.serialListeners.push(fn);
    return () => {
      this.serialListeners = this.serialListeners.filter((l) => l !== fn);
    };
  }

  // ---------- lifecycle ----------

  async saveState(): Promise<ArrayBuffer> {
    return this.emulator.save_state();
  }

  get running(): boolean {
    return !this.stopped;
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const err = new BerthError("unavailable", "the guest was shut down");
    for (const p of this.pending.values()) p.reject(err);
    for (const s of this.spawning.values()) s.reject(err);
    this.pending.clear();
    this.spawning.clear();
    for (const p of this.procs.values()) p.finish({ exitCode: 137, signal: 9 });
    this.procs.clear();
    try {
      await this.emulator?.destroy();
    } catch {
      // already gone
    }
  }
}

/** v86 keeps its device bus on the instance; its typings do not list it. */
interface V86WithBus {
  bus: { send(name: string, data: unknown): void };
}

/** An IPv4 address as 4 bytes in network order. */
function ipv4(address: string): Uint8Array {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new BerthError("internal", `bad IPv4 address ${address}`);
  return new Uint8Array(parts);
}

function enc(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
