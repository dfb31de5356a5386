// A small in-memory EngineApi for the CLI's tests. It is the CLI's only
// external dependency, so it behaves like dockerd where the CLI can tell:
// names and ID prefixes resolve, errors are BerthErrors with dockerd's
// wording, containers run a few scripted commands (echo, cat, sh -c 'exit N',
// sleep), and every call is recorded in `calls`.

import type {
  BuildEvent,
  BuildOptions,
  BuildResult,
  ContainerCreateOptions,
  ContainerInspect,
  ContainerState,
  ContainerSummary,
  DiskUsage,
  EngineApi,
  EngineEvent,
  ExecOptions,
  FileChange,
  ImageInspect,
  ImageRemoveResult,
  ImageSummary,
  LoadedImage,
  LogChunk,
  LogOptions,
  NetworkInfo,
  ProgressMessage,
  PruneResult,
  PullResult,
  PushResult,
  SessionHandlers,
  SystemInfo,
  TopResult,
  VersionInfo,
  VolumeInfo,
} from "../../../src/core/engine-api.ts";
import { BerthError } from "../../../src/core/errors.ts";
import { humanDuration } from "../../../src/cli/format/units.ts";
import { readTar, writeTar, type TarEntry } from "../../../src/cli/tar.ts";

export const T0 = Date.parse("2026-11-28T00:00:00.000Z");

const enc = new TextEncoder();
const dec = new TextDecoder();

function hex64(seed: string): string {
  let h = 0x811c9dc5;
  let out = "";
  for (let round = 0; out.length < 64; round++) {
    for (const ch of seed + round) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out.slice(0, 64);
}

interface FakeContainer {
  id: string;
  name: string;
  opts: ContainerCreateOptions;
  image: ImageInspect;
  imageRef: string;
  created: number;
  state: ContainerState;
  exitCode: number;
  startedAt: number;
  finishedAt: number;
  logs: LogChunk[];
  files: Map<string, { type: "file" | "dir"; data?: Uint8Array; mode: number }>;
  waiters: ((code: number) => void)[];
  followers: ((c: LogChunk | null) => void)[];
  networks: string[];
  ports: ContainerSummary["ports"];
}

interface Session {
  id: number;
  container: FakeContainer;
  handlers: SessionHandlers;
  stdin: boolean;
  exec?: { cmd: string[]; tty: boolean };
  closed: boolean;
  detached: boolean;
  written: string[];
}

export interface FakeOptions {
  now?: () => number;
}

export class FakeEngine implements EngineApi {
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly images: ImageInspect[] = [];
  readonly containers: FakeContainer[] = [];
  readonly volumes: VolumeInfo[] = [];
  readonly networks: NetworkInfo[] = [];
  readonly sessions = new Map<number, Session>();
  private readonly subscribers = new Map<number, { cb: (e: EngineEvent) => void; filters?: Record<string, string[]> }>();
  private nextId = 1;
  private readonly now: () => number;
  buildCacheSize = 2_000_000;
  /** Scripted build events; set by tests that want a specific stream. */
  buildScript?: (opts: BuildOptions, emit: (e: BuildEvent) => void) => Promise<BuildResult>;

  constructor(opts: FakeOptions = {}) {
    this.now = opts.now ?? (() => T0);
    this.addImage("busybox:latest", { created: T0 - 3 * 3600_000, size: 4_260_000, cmd: ["sh"] });
    this.addImage("alpine:3.20", { created: T0 - 2 * 86400_000, size: 7_800_000, cmd: ["/bin/sh"] });
    this.networks.push(
      { id: hex64("net-bridge"), name: "bridge", driver: "bridge", scope: "local", internal: false, subnet: "172.17.0.0/16", gateway: "172.17.0.1", created: new Date(T0 - 86400_000).toISOString(), containers: {} },
      { id: hex64("net-host"), name: "host", driver: "host", scope: "local", internal: false, subnet: "", gateway: "", created: new Date(T0 - 86400_000).toISOString(), containers: {} },
      { id: hex64("net-none"), name: "none", driver: "null", scope: "local", internal: false, subnet: "", gateway: "", created: new Date(T0 - 86400_000).toISOString(), containers: {} },
    );
  }

  private record(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
  }

  /** Calls to one method, newest last. */
  callsTo(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  addImage(ref: string, o: { created: number; size: number; cmd?: string[]; entrypoint?: string[]; env?: string[] }): ImageInspect {
    const id = "sha256:" + hex64("image:" + ref);
    const created = new Date(o.created).toISOString();
    const image: ImageInspect = {
      id,
      repoTags: ref ? [ref] : [],
      repoDigests: [],
      created,
      size: o.size,
      containers: 0,
      manifestDigest: "sha256:" + hex64("manifest:" + ref),
      architecture: "386",
      os: "linux",
      config: { Env: o.env ?? ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: o.cmd ?? ["sh"], ...(o.entrypoint ? { Entrypoint: o.entrypoint } : {}) },
      rootfs: { type: "layers", diff_ids: ["sha256:" + hex64("diff:" + ref)] },
      history: [
        { created, created_by: "ADD file:abc in / " },
        { created, created_by: 'CMD ["sh"]', empty_layer: true },
      ],
      layers: [
        { digest: "sha256:" + hex64("layer:" + ref), size: o.size, history: { created, created_by: "ADD file:abc in / " }, sharedBy: 1 },
        { size: 0, history: { created, created_by: 'CMD ["sh"]', empty_layer: true }, sharedBy: 1 },
      ],
    };
    this.images.push(image);
    return image;
  }

  private emit(type: EngineEvent["type"], action: string, id: string, attributes: Record<string, string>): void {
    const ms = this.now();
    const e: EngineEvent = { type, action, id, attributes, time: Math.floor(ms / 1000), timeNano: (BigInt(ms) * 1_000_000n).toString() };
    for (const { cb, filters } of this.subscribers.values()) {
      if (filters?.type && !filters.type.includes(type)) continue;
      if (filters?.event && !filters.event.includes(action)) continue;
      cb(e);
    }
  }

  // ---------- lookups ----------

  private findImage(ref: string): ImageInspect {
    const bare = ref.replace(/^docker\.io\/(library\/)?/, "");
    const withTag = bare.includes(":") || bare.includes("@") ? bare : bare + ":latest";
    const hex = ref.replace(/^sha256:/, "");
    const img = this.images.find((i) => i.repoTags.includes(withTag) || (hex.length >= 4 && /^[a-f0-9]+$/.test(hex) && i.id.slice(7).startsWith(hex)));
    if (!img) throw new BerthError("not-found", `No such image: ${withTag}`);
    return img;
  }

  private findContainer(name: string): FakeContainer {
    const c =
      this.containers.find((x) => x.name === name.replace(/^\//, "") || x.id === name) ??
      (name.length >= 1 ? this.containers.filter((x) => x.id.startsWith(name)) : []).at(0);
    if (!c) throw new BerthError("not-found", `No such container: ${name}`);
    return c;
  }

  private findVolume(name: string): VolumeInfo {
    const v = this.volumes.find((x) => x.name === name);
    if (!v) throw new BerthError("not-found", `get ${name}: no such volume`);
    return v;
  }

  private findNetwork(name: string): NetworkInfo {
    const n = this.networks.find((x) => x.name === name || x.id.startsWith(name));
    if (!n) throw new BerthError("not-found", `network ${name} not found`);
    return n;
  }

  // ---------- system ----------

  async version(): Promise<VersionInfo> {
    this.record("version", []);
    return { version: "0.1.0", apiVersion: "1.43", os: "linux", arch: "386", kernelVersion: "6.1.0-berth", guest: { state: "running", startMs: 740, mode: "restore" } };
  }

  async info(): Promise<SystemInfo> {
    this.record("info", []);
    const running = this.containers.filter((c) => c.state === "running").length;
    const paused = this.containers.filter((c) => c.state === "paused").length;
    return {
      containers: this.containers.length,
      containersRunning: running,
      containersPaused: paused,
      containersStopped: this.containers.length - running - paused,
      images: this.images.length,
      kernelVersion: "6.1.0-berth",
      memTotal: 2_087_000_000,
      storageUsed: 12_345_678,
    };
  }

  async diskUsage(): Promise<DiskUsage> {
    this.record("diskUsage", []);
    return {
      images: { count: this.images.length, size: this.images.reduce((n, i) => n + i.size, 0) },
      containers: { count: this.containers.length, size: this.containers.length * 100 },
      volumes: { count: this.volumes.length, size: this.volumes.reduce((n, v) => n + v.size, 0) },
      buildCache: { count: this.buildCacheSize ? 3 : 0, size: this.buildCacheSize },
    };
  }

  async subscribe(onEvent: (e: EngineEvent) => void, filters?: Record<string, string[]>): Promise<number> {
    this.record("subscribe", [filters]);
    const id = this.nextId++;
    this.subscribers.set(id, { cb: onEvent, ...(filters ? { filters } : {}) });
    return id;
  }

  async unsubscribe(id: number): Promise<void> {
    this.record("unsubscribe", [id]);
    this.subscribers.delete(id);
  }

  // ---------- images ----------

  private summary(i: ImageInspect): ImageSummary {
    return { id: i.id, repoTags: i.repoTags, repoDigests: i.repoDigests, created: i.created, size: i.size, containers: this.containers.filter((c) => c.image === i).length };
  }

  async imageList(opts?: { all?: boolean; danglingOnly?: boolean }): Promise<ImageSummary[]> {
    this.record("imageList", [opts]);
    return this.images.filter((i) => !opts?.danglingOnly || i.repoTags.length === 0).map((i) => this.summary(i));
  }

  async imageInspect(ref: string): Promise<ImageInspect> {
    this.record("imageInspect", [ref]);
    return { ...this.findImage(ref), containers: -1 };
  }

  async imageTag(source: string, target: string): Promise<void> {
    this.record("imageTag", [source, target]);
    const img = this.findImage(source);
    const name = target.includes(":") ? target : target + ":latest";
    for (const i of this.images) i.repoTags = i.repoTags.filter((t) => t !== name);
    img.repoTags.push(name);
    this.emit("image", "tag", img.id, { name });
  }

  async imageRemove(ref: string, opts?: { force?: boolean }): Promise<ImageRemoveResult[]> {
    this.record("imageRemove", [ref, opts]);
    const img = this.findImage(ref);
    const user = this.containers.find((c) => c.image === img);
    if (user && !opts?.force) {
      throw new BerthError("conflict", `conflict: unable to remove repository reference "${ref}" (must force) - container ${user.id.slice(0, 12)} is using its referenced image ${img.id.slice(7, 19)}`);
    }
    const tag = ref.includes(":") ? ref : ref + ":latest";
    if (img.repoTags.length > 1 && img.repoTags.includes(tag)) {
      img.repoTags = img.repoTags.filter((t) => t !== tag);
      return [{ untagged: tag }];
    }
    this.images.splice(this.images.indexOf(img), 1);
    return [...img.repoTags.map((t) => ({ untagged: t })), { deleted: img.id }];
  }

  async imagePrune(opts?: { all?: boolean }): Promise<PruneResult> {
    this.record("imagePrune", [opts]);
    const gone = this.images.filter((i) => (opts?.all ? !this.containers.some((c) => c.image === i) : i.repoTags.length === 0));
    for (const g of gone) this.images.splice(this.images.indexOf(g), 1);
    return { deleted: gone.map((g) => g.id), spaceReclaimed: gone.reduce((n, g) => n + g.size, 0) };
  }

  async imageLayerChanges(ref: string, layerIndex: number): Promise<FileChange[]> {
    this.record("imageLayerChanges", [ref, layerIndex]);
    this.findImage(ref);
    return [{ path: "/bin/sh", kind: "A", type: "file", size: 1000, mode: 0o755 }];
  }

  async build(opts: BuildOptions, onEvent: (e: BuildEvent) => void): Promise<BuildResult> {
    this.record("build", [opts]);
    if (this.buildScript) return this.buildScript(opts, onEvent);
    const name = opts.dockerfile ?? "Dockerfile";
    const file = opts.context.find((e) => e.path === name);
    if (!file) throw new BerthError("invalid-argument", `failed to read dockerfile: open ${name}: no such file or directory`);
    const lines = dec
      .decode(file.data)
      .split("\n")
      .map((text, i) => ({ text: text.trim(), line: i + 1 }))
      .filter((l) => l.text !== "" && !l.text.startsWith("#"));
    const steps = lines.map((l, i) => ({ id: `s${i + 1}`, name: `[${i + 1}/${lines.length}] ${l.text.replace(/^FROM (\S+)$/, (_m, r: string) => `FROM docker.io/library/${r.includes(":") ? r : r + ":latest"}`)}`, stage: "", line: l.line }));
    onEvent({ type: "plan", steps: steps.map((s) => ({ id: s.id, name: s.name, stage: s.stage, line: s.line })) });
    for (const [i, s] of steps.entries()) {
      const text = lines[i]!.text;
      if (i === 0 || (!opts.noCache && text.startsWith("COPY"))) {
        onEvent({ type: "step", id: s.id, name: s.name, status: "cached" });
        continue;
      }
      onEvent({ type: "step", id: s.id, name: s.name, status: "running" });
      const run = /^RUN (.*)$/.exec(text);
      const exit = run ? /exit (\d+)/.exec(run[1]!) : null;
      const echo = run ? /echo (.*)$/.exec(run[1]!) : null;
      if (echo) onEvent({ type: "log", id: s.id, stream: "stdout", data: echo[1] + "\n" });
      if (exit && exit[1] !== "0") {
        const message = `process "/bin/sh -c ${run![1]}" did not complete successfully: exit code: ${exit[1]}`;
        onEvent({ type: "step", id: s.id, name: s.name, status: "failed", durationMs: 300, error: message });
        onEvent({ type: "error", message, stepId: s.id, exitCode: Number(exit[1]), file: name, line: lines[i]!.line });
        throw new BerthError("guest", message);
      }
      onEvent({ type: "step", id: s.id, name: s.name, status: "done", durationMs: 300 });
    }
    const img = this.addImage("", { created: this.now(), size: 5_000_000 });
    img.repoTags = [];
    for (const t of opts.tags ?? []) {
      const tag = t.includes(":") ? t : t + ":latest";
      for (const i of this.images) i.repoTags = i.repoTags.filter((x) => x !== tag);
      img.repoTags.push(tag);
    }
    onEvent({ type: "done", imageId: img.id, tags: img.repoTags, durationMs: 1200 });
    return { imageId: img.id, tags: img.repoTags };
  }

  async buildCachePrune(): Promise<PruneResult> {
    this.record("buildCachePrune", []);
    const size = this.buildCacheSize;
    this.buildCacheSize = 0;
    return { deleted: size ? ["abc123", "def456", "0123ab"] : [], spaceReclaimed: size };
  }

  // ---------- containers ----------

  async containerCreate(opts: ContainerCreateOptions): Promise<{ id: string; warnings: string[] }> {
    this.record("containerCreate", [opts]);
    const image = this.findImage(opts.image);
    if (opts.name && this.containers.some((c) => c.name === opts.name)) {
      const other = this.containers.find((c) => c.name === opts.name)!;
      throw new BerthError("already-exists", `Conflict. The container name "/${opts.name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    for (const m of opts.mounts ?? []) {
      if (m.type === "volume" && m.source && !this.volumes.some((v) => v.name === m.source)) {
        this.volumes.push({ name: m.source, driver: "local", mountpoint: `/var/lib/berth/volumes/${m.source}/_data`, createdAt: new Date(this.now()).toISOString(), labels: {}, anonymous: false, usedBy: [], size: 0 });
      }
    }
    const n = this.nextId++;
    const id = hex64("container:" + n);
    const names = ["happy_turing", "brave_hopper", "eager_lovelace", "calm_curie", "quirky_knuth"];
    const c: FakeContainer = {
      id,
      name: opts.name ?? names[(n - 1) % names.length]! + (n > names.length ? String(n) : ""),
      opts,
      image,
      imageRef: opts.image,
      created: this.now(),
      state: "created",
      exitCode: 0,
      startedAt: 0,
      finishedAt: 0,
      logs: [],
      files: new Map([
        ["/", { type: "dir", mode: 0o755 }],
        ["/etc", { type: "dir", mode: 0o755 }],
        ["/etc/hostname", { type: "file", data: enc.encode(id.slice(0, 12) + "\n"), mode: 0o644 }],
        ["/tmp", { type: "dir", mode: 0o1777 }],
      ]),
      waiters: [],
      followers: [],
      networks: [opts.network ?? "bridge"],
      ports: opts.ports ?? [],
    };
    for (const m of opts.mounts ?? []) {
      const v = this.volumes.find((x) => x.name === m.source);
      if (v) v.usedBy.push(id);
    }
    this.containers.push(c);
    this.emit("container", "create", id, { image: opts.image, name: c.name });
    const warnings = opts.memory !== undefined && opts.memory < 6 * 1024 * 1024 ? ["Your kernel does not support memory limit capabilities. Limitation discarded."] : [];
    return { id, warnings };
  }

  private command(c: FakeContainer): string[] {
    const entry = c.opts.entrypoint ?? (c.image.config?.Entrypoint as string[] | undefined) ?? [];
    const cmd = c.opts.cmd ?? (c.image.config?.Cmd as string[] | undefined) ?? [];
    return [...entry.filter((e) => e !== ""), ...cmd];
  }

  private output(c: FakeContainer, stream: "stdout" | "stderr", text: string, only?: Session): void {
    const data = enc.encode(text);
    const chunk: LogChunk = { stream, data, time: new Date(this.now()).toISOString() };
    if (!only) {
      c.logs.push(chunk);
      for (const f of c.followers) f(chunk);
    }
    for (const s of this.sessions.values()) {
      if (s.container !== c || s.detached) continue;
      if (only ? s !== only : s.exec) continue;
      s.handlers.onOutput(c.opts.tty && !only ? "stdout" : stream, data);
    }
  }

  private exit(c: FakeContainer, code: number): void {
    if (c.state !== "running" && c.state !== "paused") return;
    c.state = "exited";
    c.exitCode = code;
    c.finishedAt = this.now();
    this.emit("container", "die", c.id, { exitCode: String(code), image: c.imageRef, name: c.name });
    for (const s of [...this.sessions.values()]) {
      if (s.container === c && !s.exec) {
        this.sessions.delete(s.id);
        if (!s.detached) s.handlers.onExit(code);
      }
    }
    for (const w of c.waiters.splice(0)) w(code);
    for (const f of c.followers.splice(0)) f(null);
    if (c.opts.autoRemove) {
      this.containers.splice(this.containers.indexOf(c), 1);
      this.emit("container", "destroy", c.id, { image: c.imageRef, name: c.name });
    }
  }

  /** What the scripted process does when it starts. */
  private runScript(c: FakeContainer, argv: string[], out: (stream: "stdout" | "stderr", text: string) => void, exit: (code: number) => void): void {
    const [prog, ...args] = argv;
    queueMicrotask(() => {
      switch (prog) {
        case "echo":
          out("stdout", args.join(" ") + "\n");
          exit(0);
          break;
        case "true":
          exit(0);
          break;
        case "false":
          exit(1);
          break;
        case "sh":
        case "/bin/sh": {
          if (args[0] === "-c") {
            const script = args[1] ?? "";
            for (const part of script.split(";").map((p) => p.trim())) {
              const m = /^echo (.*?)( >&2)?$/.exec(part);
              if (m) out(m[2] ? "stderr" : "stdout", m[1] + "\n");
              const e = /^exit (\d+)$/.exec(part);
              if (e) return exit(Number(e[1]));
            }
            return exit(0);
          }
          // An interactive shell: waits for input (see sessionWrite).
          break;
        }
        case "cat":
        case "sleep":
        case "top":
          break;
        default:
          exit(127);
      }
    });
    void c;
  }

  async containerStart(id: string): Promise<void> {
    this.record("containerStart", [id]);
    const c = this.findContainer(id);
    if (c.state === "running") return;
    const argv = this.command(c);
    const known = ["echo", "true", "false", "sh", "/bin/sh", "cat", "sleep", "top"];
    if (!known.includes(argv[0] ?? "")) {
      c.state = "created";
      throw new BerthError(
        "guest",
        `failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${argv[0]}": executable file not found in $PATH: unknown`,
      );
    }
    c.state = "running";
    c.startedAt = this.now();
    this.emit("container", "start", c.id, { image: c.imageRef, name: c.name });
    this.runScript(c, argv, (s, t) => this.output(c, s, t), (code) => this.exit(c, code));
  }

  async containerStop(id: string, opts?: { timeout?: number; signal?: string }): Promise<void> {
    this.record("containerStop", [id, opts]);
    const c = this.findContainer(id);
    this.exit(c, 143);
    this.emit("container", "stop", c.id, { image: c.imageRef, name: c.name });
  }

  async containerRestart(id: string, opts?: { timeout?: number }): Promise<void> {
    this.record("containerRestart", [id, opts]);
    const c = this.findContainer(id);
    this.exit(c, 143);
    c.state = "running";
    this.emit("container", "restart", c.id, { image: c.imageRef, name: c.name });
  }

  async containerKill(id: string, signal?: string): Promise<void> {
    this.record("containerKill", [id, signal]);
    const c = this.findContainer(id);
    if (c.state !== "running") throw new BerthError("conflict", `cannot kill container: ${id}: container ${c.id} is not running`);
    const sig = (signal ?? "SIGKILL").replace(/^SIG/, "");
    this.emit("container", "kill", c.id, { image: c.imageRef, name: c.name, signal: sig === "KILL" ? "9" : sig === "INT" ? "2" : sig });
    this.exit(c, sig === "INT" || sig === "2" ? 130 : 137);
  }

  async containerPause(id: string): Promise<void> {
    this.record("containerPause", [id]);
    const c = this.findContainer(id);
    if (c.state !== "running") throw new BerthError("conflict", `container ${c.id} is not running`);
    c.state = "paused";
  }

  async containerUnpause(id: string): Promise<void> {
    this.record("containerUnpause", [id]);
    const c = this.findContainer(id);
    if (c.state !== "paused") throw new BerthError("conflict", `container ${c.id} is not paused`);
    c.state = "running";
  }

  async containerRemove(id: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void> {
    this.record("containerRemove", [id, opts]);
    const c = this.findContainer(id);
    if ((c.state === "running" || c.state === "paused") && !opts?.force) {
      throw new BerthError("conflict", `You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`);
    }
    if (c.state === "running") this.exit(c, 137);
    const i = this.containers.indexOf(c);
    if (i >= 0) this.containers.splice(i, 1);
    for (const v of this.volumes) v.usedBy = v.usedBy.filter((u) => u !== c.id);
    this.emit("container", "destroy", c.id, { image: c.imageRef, name: c.name });
  }

  async containerRename(id: string, newName: string): Promise<void> {
    this.record("containerRename", [id, newName]);
    const c = this.findContainer(id);
    if (this.containers.some((x) => x.name === newName)) throw new BerthError("already-exists", `Conflict. The container name "/${newName}" is already in use`);
    c.name = newName;
  }

  private status(c: FakeContainer): string {
    const ago = (t: number) => humanDuration(Math.max(0, this.now() - t));
    switch (c.state) {
      case "running":
        return `Up ${ago(c.startedAt)}`;
      case "paused":
        return `Up ${ago(c.startedAt)} (Paused)`;
      case "exited":
        return `Exited (${c.exitCode}) ${ago(c.finishedAt)} ago`;
      default:
        return "Created";
    }
  }

  private containerSummary(c: FakeContainer): ContainerSummary {
    return {
      id: c.id,
      name: c.name,
      image: c.imageRef,
      imageId: c.image.id,
      // dockerd quotes arguments with spaces: sh -c 'echo hi; exit 3'
      command: this.command(c)
        .map((a) => (/\s/.test(a) ? `'${a}'` : a))
        .join(" "),
      created: new Date(c.created).toISOString(),
      state: c.state,
      status: this.status(c),
      ports: c.state === "running" ? c.ports.map((p) => ({ ...p, hostPort: p.hostPort || 32768 + p.containerPort })) : [],
      labels: c.opts.labels ?? {},
      mounts: (c.opts.mounts ?? []).map((m) => ({ type: m.type, ...(m.type === "volume" ? { name: m.source || "anon" } : {}), source: m.source ?? "", destination: m.target })),
      networks: c.networks,
    };
  }

  async containerList(opts?: { all?: boolean; filters?: Record<string, string[]> }): Promise<ContainerSummary[]> {
    this.record("containerList", [opts]);
    let list = this.containers.filter((c) => opts?.all || c.state === "running" || c.state === "paused");
    const f = opts?.filters ?? {};
    if (f.status) list = this.containers.filter((c) => f.status!.includes(c.state));
    if (f.name) list = list.filter((c) => f.name!.some((n) => c.name.includes(n)));
    if (f.id) list = list.filter((c) => f.id!.some((n) => c.id.startsWith(n)));
    if (f.label) list = list.filter((c) => f.label!.every((l) => (l.includes("=") ? c.opts.labels?.[l.split("=")[0]!] === l.split("=")[1] : l in (c.opts.labels ?? {}))));
    if (f.ancestor) list = list.filter((c) => f.ancestor!.some((a) => c.imageRef === a || c.imageRef.split(":")[0] === a));
    return list.map((c) => this.containerSummary(c)).reverse();
  }

  async containerInspect(id: string): Promise<ContainerInspect> {
    this.record("containerInspect", [id]);
    const c = this.findContainer(id);
    const argv = this.command(c);
    return {
      ...this.containerSummary(c),
      path: argv[0] ?? "",
      args: argv.slice(1),
      stateDetail: {
        status: c.state,
        running: c.state === "running" || c.state === "paused",
        paused: c.state === "paused",
        restarting: false,
        oomKilled: false,
        dead: false,
        pid: c.state === "running" ? 4242 : 0,
        exitCode: c.exitCode,
        error: "",
        startedAt: c.startedAt ? new Date(c.startedAt).toISOString() : "0001-01-01T00:00:00Z",
        finishedAt: c.finishedAt ? new Date(c.finishedAt).toISOString() : "0001-01-01T00:00:00Z",
      },
      restartCount: 0,
      config: {
        ...c.opts,
        env: [...((c.image.config?.Env as string[] | undefined) ?? []), ...(c.opts.env ?? [])],
        cmd: c.opts.cmd ?? ((c.image.config?.Cmd as string[] | undefined) ?? []),
        entrypoint: c.opts.entrypoint ?? [],
      },
      networkSettings: { networks: Object.fromEntries(c.networks.map((n) => [n, { ipAddress: "172.17.0.2", aliases: [], gateway: "172.17.0.1", macAddress: "02:42:ac:11:00:02" }])) },
    };
  }

  async containerWait(id: string): Promise<{ exitCode: number }> {
    this.record("containerWait", [id]);
    const c = this.findContainer(id);
    if (c.state !== "running" && c.state !== "paused") return { exitCode: c.exitCode };
    return new Promise((resolve) => c.waiters.push((code) => resolve({ exitCode: code })));
  }

  async containerLogs(id: string, opts: LogOptions, onChunk: (c: LogChunk) => void): Promise<void> {
    this.record("containerLogs", [id, opts]);
    const c = this.findContainer(id);
    let chunks = c.logs;
    if (opts.since) chunks = chunks.filter((ch) => ch.time >= opts.since!);
    if (typeof opts.tail === "number") chunks = opts.tail === 0 ? [] : chunks.slice(-opts.tail);
    for (const ch of chunks) onChunk(ch);
    if (!opts.follow || c.state !== "running") return;
    return new Promise((resolve) => {
      c.followers.push((ch) => {
        if (ch) onChunk(ch);
        else resolve();
      });
    });
  }

  /** Appends to a container's log (for logs tests). */
  log(id: string, stream: "stdout" | "stderr", text: string, time: number): void {
    const c = this.findContainer(id);
    const chunk = { stream, data: enc.encode(text), time: new Date(time).toISOString() };
    c.logs.push(chunk);
    for (const f of c.followers) f(chunk);
  }

  async containerTop(id: string): Promise<TopResult> {
    this.record("containerTop", [id]);
    const c = this.findContainer(id);
    if (c.state !== "running") throw new BerthError("conflict", `container ${c.id} is not running`);
    return { titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], processes: [["root", "4242", "4230", "0", "00:00", "?", "00:00:00", this.command(c).join(" ")]] };
  }

  async containerDiff(id: string): Promise<FileChange[]> {
    this.record("containerDiff", [id]);
    this.findContainer(id);
    return [
      { path: "/tmp", kind: "C", type: "dir", size: 0, mode: 0o1777 },
      { path: "/tmp/hello.txt", kind: "A", type: "file", size: 6, mode: 0o644 },
      { path: "/etc/motd", kind: "D", type: "file", size: 0, mode: 0o644 },
    ];
  }

  async containerPrune(): Promise<PruneResult> {
    this.record("containerPrune", []);
    const gone = this.containers.filter((c) => c.state === "exited" || c.state === "created" || c.state === "dead");
    for (const g of gone) this.containers.splice(this.containers.indexOf(g), 1);
    return { deleted: gone.map((g) => g.id), spaceReclaimed: gone.length * 100 };
  }

  async containerArchiveGet(id: string, path: string): Promise<Uint8Array> {
    this.record("containerArchiveGet", [id, path]);
    const c = this.findContainer(id);
    const clean = path.replace(/\/\.$/, "").replace(/\/+$/, "") || "/";
    const node = c.files.get(clean);
    if (!node) throw new BerthError("not-found", `Could not find the file ${path} in container ${id}`);
    const base = clean === "/" ? "." : clean.slice(clean.lastIndexOf("/") + 1);
    const entries: TarEntry[] = [];
    const prefix = clean === "/" ? "/" : clean + "/";
    entries.push({ path: base, type: node.type, mode: node.mode, size: node.data?.length ?? 0, mtime: Math.floor(T0 / 1000), ...(node.data ? { data: node.data } : {}) });
    for (const [p, n] of [...c.files.entries()].sort()) {
      if (p !== clean && p.startsWith(prefix)) {
        entries.push({ path: `${base}/${p.slice(prefix.length)}`, type: n.type, mode: n.mode, size: n.data?.length ?? 0, mtime: Math.floor(T0 / 1000), ...(n.data ? { data: n.data } : {}) });
      }
    }
    return writeTar(entries);
  }

  async containerArchivePut(id: string, path: string, tar: Uint8Array): Promise<void> {
    this.record("containerArchivePut", [id, path, tar]);
    const c = this.findContainer(id);
    const dir = path.replace(/\/+$/, "") || "/";
    if (c.files.get(dir)?.type !== "dir") throw new BerthError("not-found", `Could not find the file ${path} in container ${id}`);
    for (const e of readTar(tar)) {
      const p = (dir === "/" ? "" : dir) + "/" + e.path;
      c.files.set(p, e.type === "dir" ? { type: "dir", mode: e.mode } : { type: "file", data: e.data ?? new Uint8Array(), mode: e.mode });
    }
  }

  /** Adds a file to a container's filesystem (for cp tests). */
  putFile(id: string, path: string, text: string): void {
    this.findContainer(id).files.set(path, { type: "file", data: enc.encode(text), mode: 0o644 });
  }

  async containerAttach(id: string, opts: { stdin?: boolean }, handlers: SessionHandlers): Promise<number> {
    this.record("containerAttach", [id, opts]);
    const c = this.findContainer(id);
    if (c.state === "exited") throw new BerthError("conflict", "You cannot attach to a stopped container, start it first");
    const s: Session = { id: this.nextId++, container: c, handlers, stdin: !!opts.stdin, closed: false, detached: false, written: [] };
    this.sessions.set(s.id, s);
    return s.id;
  }

  async containerExec(id: string, opts: ExecOptions, handlers: SessionHandlers): Promise<number> {
    this.record("containerExec", [id, opts]);
    const c = this.findContainer(id);
    if (c.state !== "running") throw new BerthError("conflict", `container ${c.id} is not running`);
    const s: Session = { id: this.nextId++, container: c, handlers, stdin: !!opts.interactive, exec: { cmd: opts.cmd, tty: !!opts.tty }, closed: false, detached: false, written: [] };
    this.sessions.set(s.id, s);
    const known = ["echo", "true", "false", "sh", "/bin/sh", "cat", "sleep", "top"];
    if (!known.includes(opts.cmd[0] ?? "")) {
      queueMicrotask(() => {
        handlers.onOutput("stderr", enc.encode(`OCI runtime exec failed: exec failed: unable to start container process: exec: "${opts.cmd[0]}": executable file not found in $PATH: unknown\n`));
        handlers.onExit(127);
      });
      return s.id;
    }
    this.runScript(
      c,
      opts.cmd,
      (stream, text) => this.output(c, stream, text, s),
      (code) => {
        this.sessions.delete(s.id);
        handlers.onExit(code);
      },
    );
    return s.id;
  }

  private session(id: number): Session {
    const s = this.sessions.get(id);
    if (!s) throw new BerthError("not-found", `no such session: ${id}`);
    return s;
  }

  async sessionWrite(session: number, data: Uint8Array | string): Promise<void> {
    this.record("sessionWrite", [session, data]);
    const s = this.session(session);
    const text = typeof data === "string" ? data : dec.decode(data);
    s.written.push(text);
    const prog = s.exec ? s.exec.cmd[0] : this.command(s.container)[0];
    if (prog === "cat" || prog === "sh" || prog === "/bin/sh") {
      if (s.exec) this.output(s.container, "stdout", text, s);
      else this.output(s.container, "stdout", text);
    }
    if ((prog === "sh" || prog === "/bin/sh") && /exit\r?\n?$/.test(text.trim() + "\n")) {
      if (s.exec) {
        this.sessions.delete(s.id);
        s.handlers.onExit(0);
      } else this.exit(s.container, 0);
    }
  }

  async sessionCloseStdin(session: number): Promise<void> {
    this.record("sessionCloseStdin", [session]);
    const s = this.session(session);
    s.closed = true;
    const prog = s.exec ? s.exec.cmd[0] : this.command(s.container)[0];
    if (prog === "cat" || prog === "sh" || prog === "/bin/sh") {
      if (s.exec) {
        this.sessions.delete(s.id);
        s.handlers.onExit(0);
      } else this.exit(s.container, 0);
    }
  }

  async sessionResize(session: number, rows: number, cols: number): Promise<void> {
    this.record("sessionResize", [session, rows, cols]);
    this.session(session);
  }

  async sessionDetach(session: number): Promise<void> {
    this.record("sessionDetach", [session]);
    const s = this.sessions.get(session);
    if (s) {
      s.detached = true;
      this.sessions.delete(session);
    }
  }

  // ---------- volumes ----------

  async volumeCreate(opts: { name?: string; labels?: Record<string, string> }): Promise<VolumeInfo> {
    this.record("volumeCreate", [opts]);
    const name = opts.name ?? hex64("volume:" + this.nextId++);
    const existing = this.volumes.find((v) => v.name === name);
    if (existing) return existing;
    const v: VolumeInfo = { name, driver: "local", mountpoint: `/var/lib/berth/volumes/${name}/_data`, createdAt: new Date(this.now()).toISOString(), labels: opts.labels ?? {}, anonymous: !opts.name, usedBy: [], size: 0 };
    this.volumes.push(v);
    this.emit("volume", "create", name, { driver: "local" });
    return v;
  }

  async volumeList(): Promise<VolumeInfo[]> {
    this.record("volumeList", []);
    return [...this.volumes];
  }

  async volumeInspect(name: string): Promise<VolumeInfo> {
    this.record("volumeInspect", [name]);
    return this.findVolume(name);
  }

  async volumeRemove(name: string, opts?: { force?: boolean }): Promise<void> {
    this.record("volumeRemove", [name, opts]);
    const v = this.findVolume(name);
    if (v.usedBy.length > 0) throw new BerthError("conflict", `remove ${name}: volume is in use - [${v.usedBy.join(", ")}]`);
    this.volumes.splice(this.volumes.indexOf(v), 1);
  }

  async volumePrune(opts?: { all?: boolean }): Promise<PruneResult> {
    this.record("volumePrune", [opts]);
    const gone = this.volumes.filter((v) => v.usedBy.length === 0 && (opts?.all || v.anonymous));
    for (const g of gone) this.volumes.splice(this.volumes.indexOf(g), 1);
    return { deleted: gone.map((g) => g.name), spaceReclaimed: gone.reduce((n, g) => n + g.size, 0) };
  }

  // ---------- networks ----------

  async networkCreate(opts: { name: string; internal?: boolean; subnet?: string; labels?: Record<string, string> }): Promise<NetworkInfo> {
    this.record("networkCreate", [opts]);
    if (this.networks.some((n) => n.name === opts.name)) throw new BerthError("already-exists", `network with name ${opts.name} already exists`);
    const n: NetworkInfo = {
      id: hex64("network:" + opts.name),
      name: opts.name,
      driver: "bridge",
      scope: "local",
      internal: !!opts.internal,
      subnet: opts.subnet ?? "172.18.0.0/16",
      gateway: "172.18.0.1",
      created: new Date(this.now()).toISOString(),
      containers: {},
    };
    this.networks.push(n);
    return n;
  }

  async networkList(): Promise<NetworkInfo[]> {
    this.record("networkList", []);
    return [...this.networks];
  }

  async networkInspect(name: string): Promise<NetworkInfo> {
    this.record("networkInspect", [name]);
    return this.findNetwork(name);
  }

  async networkRemove(name: string): Promise<void> {
    this.record("networkRemove", [name]);
    const n = this.findNetwork(name);
    if (["bridge", "host", "none"].includes(n.name)) throw new BerthError("conflict", `${n.name} is a pre-defined network and cannot be removed`);
    this.networks.splice(this.networks.indexOf(n), 1);
  }

  async networkConnect(network: string, container: string, opts?: { aliases?: string[] }): Promise<void> {
    this.record("networkConnect", [network, container, opts]);
    const n = this.findNetwork(network);
    const c = this.findContainer(container);
    c.networks.push(n.name);
    n.containers[c.id] = { name: c.name, ipAddress: "172.18.0.2", aliases: opts?.aliases ?? [] };
  }

  async networkDisconnect(network: string, container: string, opts?: { force?: boolean }): Promise<void> {
    this.record("networkDisconnect", [network, container, opts]);
    const n = this.findNetwork(network);
    const c = this.findContainer(container);
    c.networks = c.networks.filter((x) => x !== n.name);
    delete n.containers[c.id];
  }

  async networkPrune(): Promise<PruneResult> {
    this.record("networkPrune", []);
    const gone = this.networks.filter((n) => !["bridge", "host", "none"].includes(n.name) && Object.keys(n.containers).length === 0);
    for (const g of gone) this.networks.splice(this.networks.indexOf(g), 1);
    return { deleted: gone.map((g) => g.name), spaceReclaimed: 0 };
  }

  // ---------- registries and archives ----------

  /** Registry credentials the fake accepts (any registry). */
  registryUsers: Record<string, string> = { me: "secret" };
  readonly loggedIn = new Set<string>();
  /** Archives imageLoad accepts: the bytes as text → what it loads. */
  readonly loadable = new Map<string, { id: string; tags: string[] }[]>();

  private static registryOf(server?: string): string {
    const s = (server ?? "").replace(/^https?:\/\//, "").replace(/\/.*$/, "");
    return s === "" || s === "index.docker.io" || s === "registry-1.docker.io" || s === "docker.io" ? "docker.io" : s;
  }

  async imagePull(ref: string, opts: { platform?: string; allTags?: boolean }, onProgress: (m: ProgressMessage) => void): Promise<PullResult> {
    this.record("imagePull", [ref, opts]);
    const at = ref.indexOf("@");
    const name = at >= 0 ? ref.slice(0, at) : ref;
    const colon = name.lastIndexOf(":");
    const hasTag = colon > name.lastIndexOf("/");
    const repo = hasTag ? name.slice(0, colon) : name;
    const tag = at >= 0 ? ref.slice(at + 1) : hasTag ? name.slice(colon + 1) : "latest";
    const full = (repo.includes("/") && /[.:]|^localhost/.test(repo.split("/")[0]!) ? repo : `docker.io/${repo.includes("/") ? repo : `library/${repo}`}`) + (at >= 0 ? `@${tag}` : `:${tag}`);
    const path = full.replace(/^[^/]+\//, "").replace(/[:@].*$/, "");
    if (repo.includes("missing")) throw new BerthError("not-found", `manifest for ${repo}:${tag} not found: manifest unknown: manifest unknown`);
    if (repo.includes("nosuch")) {
      throw new BerthError("unauthorized", `pull access denied for ${repo}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`);
    }
    const layer = hex64("pull:" + full).slice(0, 12);
    const familiar = at >= 0 ? ref : `${repo}:${tag}`;
    const existing = this.images.find((i) => i.repoTags.includes(familiar));
    onProgress({ id: tag, status: `Pulling from ${path}` });
    if (existing) {
      onProgress({ id: layer, status: "Already exists" });
    } else {
      onProgress({ id: layer, status: "Pulling fs layer" });
      onProgress({ id: layer, status: "Downloading", progressDetail: { current: 1_000_000, total: 2_000_000 } });
      onProgress({ id: layer, status: "Downloading", progressDetail: { current: 2_000_000, total: 2_000_000 } });
      onProgress({ id: layer, status: "Verifying Checksum" });
      onProgress({ id: layer, status: "Download complete" });
      onProgress({ id: layer, status: "Pull complete" });
    }
    const digest = "sha256:" + hex64("digest:" + full);
    onProgress({ status: `Digest: ${digest}` });
    onProgress({ status: existing ? `Status: Image is up to date for ${familiar}` : `Status: Downloaded newer image for ${familiar}` });
    const image = existing ?? this.addImage(familiar, { created: this.now() - 86400_000, size: 2_000_000 });
    return { name: opts.allTags ? full.replace(/[:@].*$/, "") : full, digest, id: image.id, upToDate: existing !== undefined };
  }

  async imagePush(ref: string, opts: { allTags?: boolean }, onProgress: (m: ProgressMessage) => void): Promise<PushResult[]> {
    this.record("imagePush", [ref, opts]);
    const colon = ref.lastIndexOf(":");
    const hasTag = colon > ref.lastIndexOf("/");
    const repo = hasTag ? ref.slice(0, colon) : ref;
    const tag = hasTag ? ref.slice(colon + 1) : "latest";
    const image = this.images.find((i) => i.repoTags.includes(`${repo}:${tag}`));
    if (!image) throw new BerthError("not-found", `An image does not exist locally with the tag: ${repo}`);
    const registry = FakeEngine.registryOf(repo.includes("/") && /[.:]/.test(repo.split("/")[0]!) ? repo.split("/")[0] : undefined);
    const full = registry === "docker.io" ? `docker.io/${repo.includes("/") ? repo : `library/${repo}`}` : repo;
    onProgress({ status: `The push refers to repository [${full}]` });
    const layer = (image.rootfs.diff_ids[0] ?? "sha256:" + "0".repeat(64)).slice(7, 19);
    onProgress({ id: layer, status: "Preparing" });
    if (!this.loggedIn.has(registry)) {
      const err = new BerthError("unauthorized", "denied: requested access to the resource is denied", { registry, stream: true });
      throw err;
    }
    onProgress({ id: layer, status: "Pushing", progressDetail: { current: 512, total: 1024 } });
    onProgress({ id: layer, status: "Pushed" });
    const digest = "sha256:" + hex64("push:" + ref);
    onProgress({ status: `${tag}: digest: ${digest} size: 527` });
    return [{ tag, digest, size: 527 }];
  }

  async registryLogin(opts: { server?: string; username: string; password: string }): Promise<{ status: string; server: string }> {
    this.record("registryLogin", [{ ...opts, password: "<hidden>" }]);
    const registry = FakeEngine.registryOf(opts.server);
    const url = registry === "docker.io" ? "https://registry-1.docker.io/v2/" : `https://${registry}/v2/`;
    if (this.registryUsers[opts.username] !== opts.password) {
      throw new BerthError("unauthorized", `Get "${url}": unauthorized: incorrect username or password`, { registry });
    }
    this.loggedIn.add(registry);
    return { status: "Login Succeeded", server: registry === "docker.io" ? "https://index.docker.io/v1/" : registry };
  }

  async registryLogout(server?: string): Promise<{ server: string; removed: boolean }> {
    this.record("registryLogout", [server]);
    const registry = FakeEngine.registryOf(server);
    const removed = this.loggedIn.delete(registry);
    return { server: registry === "docker.io" ? "https://index.docker.io/v1/" : registry, removed };
  }

  async imageSave(refs: string[], opts?: { format?: "docker" | "oci" }): Promise<Uint8Array> {
    this.record("imageSave", [refs, opts]);
    for (const r of refs) this.findImage(r);
    return enc.encode(`archive(${opts?.format ?? "docker"}):${refs.join(",")}`);
  }

  async imageLoad(tar: Uint8Array): Promise<LoadedImage[]> {
    this.record("imageLoad", [tar.length]);
    const loaded = this.loadable.get(dec.decode(tar));
    if (!loaded) throw new BerthError("invalid-argument", "invalid archive: it has neither manifest.json (docker save) nor oci-layout (an OCI image layout)");
    return loaded;
  }

  async imageImport(tar: Uint8Array, opts?: { ref?: string; changes?: string[]; message?: string; platform?: string }): Promise<{ id: string }> {
    this.record("imageImport", [dec.decode(tar), opts]);
    const image = this.addImage(opts?.ref ?? "", { created: this.now(), size: tar.length });
    if (!opts?.ref) image.repoTags = [];
    return { id: image.id };
  }

  async containerExport(id: string): Promise<Uint8Array> {
    this.record("containerExport", [id]);
    const c = this.findContainer(id);
    return enc.encode(`filesystem of ${c.name}`);
  }
}
