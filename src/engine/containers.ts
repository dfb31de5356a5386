// Containers, as dockerd keeps them: a record (config, image, mounts,
// network, state, exit code, timestamps) that persists, apart from its task
// (the running process tree in the guest). A task runs in its own pid,
// mount, uts, ipc and net namespaces over an overlay of the image's layers
// and a writable layer of its own, in a cgroup with its limits.
import type {
  ContainerCreateOptions,
  ContainerInspect,
  ContainerState,
  ContainerSummary,
  ExecOptions,
  FileChange,
  LogChunk,
  LogOptions,
  PortBinding,
  PruneResult,
  SessionHandlers,
  TopResult,
} from "../core/engine-api.ts";
import type { ContentStore, JsonValue, RefStore } from "../core/content.ts";
import { putBlob } from "../core/content.ts";
import type { Digest } from "../core/digest.ts";
import { BerthError } from "../core/errors.ts";
import { gunzip, isGzip } from "../core/compress.ts";
import { LayeredView, layerChanges, overlayUpperToLayer, splitForGuest } from "../core/layers.ts";
import { sha256 } from "../core/sha256.ts";
import { familiarString, parseReference } from "../registry/reference.ts";
import { DEFAULT_PATH, containerSpawnSpec } from "../runtime/process.ts";
import type { GuestSnapshots, LayerRef, Snapshot } from "../runtime/snapshots.ts";
import { type ResolvedUser, resolveUserIn } from "../runtime/users.ts";
import type { GuestProcess, GuestVM } from "../vm/guest.ts";
import type { ImageStore } from "./images.ts";
import { VolumeService, randomHex } from "./volumes.ts";

const META = "container/";
const LOGS = "container-logs/";
const CGROUP_ROOT = "/sys/fs/cgroup/berth";
const CONTAINERS_DIR = "/var/lib/berth/containers";
const MAX_LOG_BYTES = 1 << 20;

export const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20,
  SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
};

export function parseSignal(sig: string | undefined, fallback = 15): number {
  if (sig === undefined || sig === "") return fallback;
  if (/^\d+$/.test(sig)) return Number(sig);
  const name = sig.toUpperCase().startsWith("SIG") ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
  const n = SIGNALS[name];
  if (n === undefined) throw new BerthError("invalid-argument", `Invalid signal: ${sig}`);
  return n;
}

/** What the container service needs from the network side. */
export interface ContainerNetworking {
  prepare(containerId: string, req: { mode: string; aliases?: string[]; name: string; hostname: string }): Promise<{ hostNetwork: boolean; networkNamespace: boolean }>;
  connectTask(vm: GuestVM, containerId: string, pid: number): Promise<Record<string, { ipAddress: string; gateway: string; macAddress: string; aliases: string[]; prefix?: number }>>;
  disconnectTask(vm: GuestVM, containerId: string): Promise<void>;
  release(containerId: string): Promise<void>;
  hostsFile(containerId: string): string;
  onMembershipChange?(listener: (containerIds: string[]) => void): void;
}

/** What the container service needs to publish ports. */
export interface ContainerPorts {
  publish(containerId: string, bindings: PortBinding[], containerIp: string): Promise<PortBinding[]>;
  unpublish(containerId: string): Promise<void>;
}

interface MountRecord {
  type: "volume" | "bind" | "tmpfs";
  name?: string;
  source: string;
  target: string;
  readOnly: boolean;
  anonymous?: boolean;
  tmpfsSize?: number;
}

interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  image: string;
  imageId: string;
  path: string;
  args: string[];
  config: {
    cmd: string[];
    entrypoint: string[];
    env: string[];
    workingDir: string;
    user: string;
    hostname: string;
    tty: boolean;
    openStdin: boolean;
    stdinOnce: boolean;
    labels: Record<string, string>;
    stopSignal: string;
    stopTimeout: number;
    exposedPorts: string[];
  };
  host: {
    autoRemove: boolean;
    mounts: MountRecord[];
    ports: PortBinding[];
    publishAll: boolean;
    network: string;
    networkAliases: string[];
    restartPolicy: { name: string; maximumRetryCount?: number };
    memory: number;
    pidsLimit: number;
    readOnly: boolean;
  };
  state: {
    status: ContainerState;
    pid: number;
    exitCode: number;
    error: string;
    oomKilled: boolean;
    startedAt: string;
    finishedAt: string;
  };
  restartCount: number;
  networks: Record<string, { ipAddress: string; gateway: string; macAddress: string; aliases: string[] }>;
  publishedPorts: PortBinding[];
  /** The writable layer, saved when the guest could lose it (tar blob). */
  rw?: { digest: Digest; size: number };
  /** Set when the user stopped it (for unless-stopped). */
  manuallyStopped?: boolean;
}

interface Task {
  proc: GuestProcess;
  snapshot: Snapshot;
  cgroup: string;
  volumes: string[];
  exited: Promise<void>;
}

interface Session {
  proc: GuestProcess | null;
  containerId: string;
  handlers: SessionHandlers;
  detach: () => void;
}

const NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export interface ContainerDeps {
  refs: RefStore;
  content: ContentStore;
  images: ImageStore;
  volumes: VolumeService;
  guest: () => Promise<{ vm: GuestVM; snapshots: GuestSnapshots }>;
  networking?: ContainerNetworking;
  ports?: ContainerPorts;
  publish: (action: string, id: string, attributes: Record<string, string>) => void;
}

export class ContainerService {
  private records = new Map<string, ContainerRecord>();
  private tasks = new Map<string, Task>();
  private snapshots = new Map<string, Snapshot>();
  private logBuffers = new Map<string, LogChunk[]>();
  private logBytes = new Map<string, number>();
  private logListeners = new Map<string, Set<(c: LogChunk) => void>>();
  private exitWaiters = new Map<string, Set<(code: number) => void>>();
  private sessions = new Map<number, Session>();
  private nextSession = 1;
  private loaded: Promise<void>;
  private vmSeen: GuestVM | null = null;
  /**
   * USER of an image resolved against its /etc/passwd and /etc/group: a
   * container's first start sees the image's files (its upper layer is
   * empty), and layers never change, so those are read once per image and user.
   */
  private imageUsers = new Map<string, ResolvedUser>();
  /** The daemon is going away: tasks die with it, records stay as they were (as with dockerd). */
  private detached = false;
  /** Containers whose exit is being handled (wait must not answer yet). */
  private exiting = new Set<string>();

  constructor(private readonly deps: ContainerDeps) {
    this.loaded = this.load();
  }

  /** Records from the store; containers that were running are now exited, as after a dockerd restart. */
  private async load(): Promise<void> {
    for (const m of await this.deps.refs.listMeta(META)) {
      const rec = m.value as unknown as ContainerRecord;
      if (rec.state.status === "running" || rec.state.status === "paused" || rec.state.status === "restarting") {
        rec.state = { ...rec.state, status: "exited", pid: 0, exitCode: 255, finishedAt: new Date().toISOString() };
        await this.save(rec);
      }
      this.records.set(rec.id, rec);
      for (const mnt of rec.host.mounts) if (mnt.type === "volume" && mnt.name) this.deps.volumes.addUser(mnt.name, rec.id);
      const stored = (await this.deps.refs.getMeta(LOGS + rec.id)) as { stream: "stdout" | "stderr"; data: string; time: string }[] | undefined;
      if (stored) this.logBuffers.set(rec.id, stored.map((c) => ({ stream: c.stream, data: base64Decode(c.data), time: c.time })));
    }
  }

  /** Restart policies after a daemon restart (always, unless-stopped). */
  async applyRestartPolicies(): Promise<void> {
    await this.loaded;
    for (const rec of this.records.values()) {
      const p = rec.host.restartPolicy.name;
      if (rec.state.status === "exited" && (p === "always" || (p === "unless-stopped" && !rec.manuallyStopped)) && rec.state.exitCode === 255) {
        await this.start(rec.id).catch(() => {});
      }
    }
  }

  private async save(rec: ContainerRecord): Promise<void> {
    await this.deps.refs.setMeta(META + rec.id, JSON.parse(JSON.stringify(rec)) as JsonValue);
  }

  // ---------- lookup ----------

  private find(idOrName: string): ContainerRecord | undefined {
    const key = idOrName.replace(/^\//, "");
    const exact = this.records.get(key);
    if (exact) return exact;
    for (const r of this.records.values()) if (r.name === key) return r;
    const matches = [...this.records.values()].filter((r) => r.id.startsWith(key));
    if (matches.length > 1) throw new BerthError("invalid-argument", `multiple IDs found with provided prefix: ${key}`);
    return matches[0];
  }

  private async get(idOrName: string): Promise<ContainerRecord> {
    await this.loaded;
    const rec = idOrName ? this.find(idOrName) : undefined;
    if (!rec) throw new BerthError("not-found", `No such container: ${idOrName}`);
    return rec;
  }

  async resolveId(idOrName: string): Promise<string> {
    return (await this.get(idOrName)).id;
  }

  // ---------- create ----------

  async create(opts: ContainerCreateOptions): Promise<{ id: string; warnings: string[] }> {
    await this.loaded;
    const image = await this.deps.images.resolve(opts.image);
    const cfg = image.config.config ?? {};
    let name = opts.name ?? "";
    if (name) {
      if (!NAME.test(name)) throw new BerthError("invalid-argument", `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      name = name.replace(/^\//, "");
      const other = [...this.records.values()].find((r) => r.name === name);
      if (other) {
        throw new BerthError(
          "conflict",
          `Conflict. The container name "/${name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
    } else {
      do name = randomName();
      while ([...this.records.values()].some((r) => r.name === name));
    }
    const entrypoint = opts.entrypoint !== undefined ? opts.entrypoint.filter((a, i) => !(i === 0 && a === "" && opts.entrypoint!.length === 1)) : [...(cfg.Entrypoint ?? [])];
    // A new entrypoint drops the image's CMD, as in Docker.
    const cmd = opts.cmd !== undefined && opts.cmd.length > 0 ? opts.cmd : opts.entrypoint !== undefined ? [] : [...(cfg.Cmd ?? [])];
    const argv = [...entrypoint, ...cmd];
    if (argv.length === 0) {
      throw new BerthError("invalid-argument", "no command specified");
    }
    const env = mergeEnv(cfg.Env ?? [], opts.env ?? []);
    const id = randomHex(64);
    const mounts: MountRecord[] = [];
    for (const m of opts.mounts ?? []) {
      if (!m.target.startsWith("/")) throw new BerthError("invalid-argument", `invalid mount config: mount path must be absolute: ${m.target}`);
      if (m.type === "volume") {
        const anonymous = !m.source;
        const volName = m.source || randomHex(64);
        if (!anonymous && !(await this.deps.volumes.exists(volName))) await this.deps.volumes.create({ name: volName });
        else if (anonymous) await this.deps.volumes.create({ name: volName }, true);
        mounts.push({ type: "volume", name: volName, source: volName, target: m.target, readOnly: !!m.readOnly, anonymous });
      } else if (m.type === "tmpfs") {
        mounts.push({ type: "tmpfs", source: "", target: m.target, readOnly: !!m.readOnly, tmpfsSize: m.tmpfsSize });
      } else {
        if (!m.source) throw new BerthError("invalid-argument", "invalid mount config for type \"bind\": field Source must not be empty");
        mounts.push({ type: "bind", source: m.source, target: m.target, readOnly: !!m.readOnly });
      }
    }
    // Anonymous volumes for the image's VOLUMEs that nothing else mounts.
    for (const target of Object.keys(cfg.Volumes ?? {})) {
      if (mounts.some((m) => m.target === target)) continue;
      const volName = randomHex(64);
      await this.deps.volumes.create({ name: volName }, true);
      mounts.push({ type: "volume", name: volName, source: volName, target, readOnly: false, anonymous: true });
    }
    const rec: ContainerRecord = {
      id,
      name,
      created: new Date().toISOString(),
      image: opts.image,
      imageId: image.id,
      path: argv[0],
      args: argv.slice(1),
      config: {
        cmd,
        entrypoint,
        env,
        workingDir: opts.workingDir || cfg.WorkingDir || "",
        user: opts.user ?? cfg.User ?? "",
        hostname: opts.hostname || id.slice(0, 12),
        tty: !!opts.tty,
        openStdin: !!opts.openStdin,
        stdinOnce: !!opts.stdinOnce,
        labels: { ...(cfg.Labels ?? {}), ...(opts.labels ?? {}) },
        stopSignal: opts.stopSignal || cfg.StopSignal || "SIGTERM",
        stopTimeout: opts.stopTimeout ?? 10,
        exposedPorts: Object.keys(cfg.ExposedPorts ?? {}),
      },
      host: {
        autoRemove: !!opts.autoRemove,
        mounts,
        ports: opts.ports ?? [],
        publishAll: !!opts.publishAll,
        network: opts.network || "bridge",
        networkAliases: opts.networkAliases ?? [],
        restartPolicy: opts.restartPolicy ?? { name: "no" },
        memory: opts.memory ?? 0,
        pidsLimit: opts.pidsLimit ?? 0,
        readOnly: !!opts.readOnly,
      },
      state: { status: "created", pid: 0, exitCode: 0, error: "", oomKilled: false, startedAt: "0001-01-01T00:00:00Z", finishedAt: "0001-01-01T00:00:00Z" },
      restartCount: 0,
      networks: {},
      publishedPorts: [],
    };
    if (rec.host.autoRemove && rec.host.restartPolicy.name !== "no") {
      throw new BerthError("invalid-argument", "Conflicting options: --restart and --rm");
    }
    parseSignal(rec.config.stopSignal);
    for (const m of mounts) if (m.type === "volume" && m.name) this.deps.volumes.addUser(m.name, id);
    this.records.set(id, rec);
    await this.save(rec);
    this.deps.publish("create", id, { name, image: opts.image });
    return { id, warnings: [] };
  }

  // ---------- start ----------

  async start(idOrName: string): Promise<void> {
    const rec = await this.get(idOrName);
    if (rec.state.status === "running") return;
    if (rec.state.status === "paused") throw new BerthError("conflict", `cannot start a paused container, try unpause instead`);
    const { vm, snapshots } = await this.deps.guest();
    await this.newVmSession(vm);
    const cgroup = `${CGROUP_ROOT}/${rec.id}`;
    const prefix = `${CONTAINERS_DIR}/${rec.id}`;
    // The guest work below is file operations of the agent (no process to
    // spawn). They are sent at once, without waiting for each other: the
    // agent does them in the order sent (a directory before its files) and
    // answers them in one go, where every round trip costs.
    const files = Promise.all([
      vm.mkdir(prefix, { parents: true }),
      vm.writeFile(`${prefix}/hostname`, `${rec.config.hostname}\n`),
      vm.writeFile(`${prefix}/hosts`, this.deps.networking?.hostsFile(rec.id) ?? `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n`),
      vm.writeFile(`${prefix}/resolv.conf`, ""),
    ]);
    // Its cgroup, with its limits.
    const cg = Promise.all([
      this.cgroupRoot(vm),
      vm.mkdir(cgroup).catch((err: Error) => {
        if (!/exists/i.test(String(err.message))) throw err;
      }),
      vm.writeFile(`${cgroup}/memory.max`, rec.host.memory > 0 ? String(rec.host.memory) : "max"),
      rec.host.memory > 0 ? vm.writeFile(`${cgroup}/memory.swap.max`, "0").catch(() => {}) : Promise.resolve(),
      vm.writeFile(`${cgroup}/pids.max`, rec.host.pidsLimit > 0 ? String(rec.host.pidsLimit) : "max"),
    ]).catch((err: Error) => {
      throw new BerthError("guest", `setting up the container's cgroup: ${err.message}`);
    });
    const firstStart = !this.snapshots.has(rec.id) && !rec.rw;
    const userKey = `${rec.imageId}\0${rec.config.user}`;
    let snap: Snapshot;
    let user: ResolvedUser;
    try {
      snap = await this.snapshotFor(rec, snapshots, vm);
      const known = firstStart ? this.imageUsers.get(userKey) : undefined;
      user = known ?? (await resolveUserIn(vm, snap.merged, rec.config.user));
      if (firstStart) this.imageUsers.set(userKey, user);
    } catch (err) {
      await Promise.allSettled([files, cg]);
      if (err instanceof BerthError && err.kind === "invalid-argument") throw new BerthError("invalid-argument", `failed to create task for container: ${err.message}`);
      throw err;
    }
    const net = this.deps.networking
      ? await this.deps.networking.prepare(rec.id, { mode: rec.host.network, aliases: rec.host.networkAliases, name: rec.name, hostname: rec.config.hostname })
      : { hostNetwork: rec.host.network === "host", networkNamespace: rec.host.network !== "host" };
    await Promise.all([files, cg]);

    const mounts: { source: string; target: string; type?: string; data?: string; readOnly?: boolean; bind?: boolean }[] = [
      { source: `${prefix}/hosts`, target: "/etc/hosts", bind: true },
      { source: `${prefix}/hostname`, target: "/etc/hostname", bind: true },
      { source: `${prefix}/resolv.conf`, target: "/etc/resolv.conf", bind: true },
    ];
    const volumes: string[] = [];
    for (const m of rec.host.mounts) {
      if (m.type === "volume") {
        const dir = await this.deps.volumes.mountSource(vm, m.name!, rec.id, `${snap.merged}${m.target}`);
        volumes.push(m.name!);
        mounts.push({ source: dir, target: m.target, bind: true, readOnly: m.readOnly });
      } else if (m.type === "tmpfs") {
        mounts.push({ source: "tmpfs", target: m.target, type: "tmpfs", data: `mode=1777${m.tmpfsSize ? `,size=${m.tmpfsSize}` : ""}`, readOnly: m.readOnly });
      } else {
        mounts.push({ source: m.source, target: m.target, bind: true, readOnly: m.readOnly });
      }
    }
    const env = rec.config.env.some((e) => e.startsWith("PATH=")) ? rec.config.env : [DEFAULT_PATH, ...rec.config.env];
    const hostEnv = [`HOSTNAME=${rec.config.hostname}`, ...(rec.config.tty ? ["TERM=xterm"] : [])];
    const spec = containerSpawnSpec({
      rootfs: snap.merged,
      argv: [rec.path, ...rec.args],
      env: mergeEnv(hostEnv, env),
      cwd: rec.config.workingDir || "/",
      uid: user.uid,
      gid: user.gid,
      groups: user.groups,
      hostname: rec.config.hostname,
      tty: rec.config.tty ? { rows: 24, cols: 80 } : undefined,
      stdin: rec.config.openStdin,
      cgroup,
      mounts,
      hostNetwork: net.hostNetwork,
      readOnlyRootfs: rec.host.readOnly,
    });
    // Sent just before the spawn, which the agent does after it (a failure shows as the spawn's chdir error).
    if (rec.config.workingDir) void vm.mkdir(`${snap.merged}${rec.config.workingDir}`, { parents: true }).catch(() => {});
    let proc: GuestProcess;
    try {
      proc = await vm.spawn({ ...spec, paused: true });
    } catch (err) {
      const e = err as BerthError;
      rec.state = { ...rec.state, status: rec.state.status === "created" ? "created" : "exited", exitCode: 127, error: e.message };
      await this.save(rec);
      throw new BerthError(e.kind === "not-found" ? "invalid-argument" : e.kind, `failed to create task for container: ${e.message}`);
    }
    // The hosts file with the container's address: sent now, awaited after
    // the resume, which the agent does after the write.
    let hostsWritten: Promise<void> = Promise.resolve();
    try {
      if (net.networkNamespace && !net.hostNetwork && this.deps.networking) {
        rec.networks = await this.deps.networking.connectTask(vm, rec.id, proc.pid);
        hostsWritten = vm.writeFile(`${prefix}/hosts`, this.deps.networking.hostsFile(rec.id));
        hostsWritten.catch(() => {});
      }
      const ip = Object.values(rec.networks)[0]?.ipAddress ?? "127.0.0.1";
      const wanted = [...rec.host.ports];
      if (rec.host.publishAll) {
        for (const p of rec.config.exposedPorts) {
          const [port, proto] = p.split("/");
          if (!wanted.some((w) => w.containerPort === Number(port))) wanted.push({ containerPort: Number(port), protocol: (proto as "tcp") ?? "tcp", hostPort: 0 });
        }
      }
      rec.publishedPorts = wanted.length && this.deps.ports ? await this.deps.ports.publish(rec.id, wanted, ip) : [];
    } catch (err) {
      proc.signal(9);
      await proc.exited;
      throw err;
    }

    const exited = new Promise<void>((resolve) => {
      void proc.exited.then(async (status) => {
        await this.onExit(rec, status.exitCode, status.signal);
        resolve();
      });
    });
    const task: Task = { proc, snapshot: snap, cgroup, volumes, exited };
    this.tasks.set(rec.id, task);
    const pushLog = (stream: "stdout" | "stderr") => (data: Uint8Array) => this.appendLog(rec.id, { stream, data, time: new Date().toISOString() });
    proc.onStdout(pushLog("stdout"));
    proc.onStderr(pushLog("stderr"));
    rec.state = { ...rec.state, status: "running", pid: proc.pid, exitCode: 0, error: "", oomKilled: false, startedAt: new Date().toISOString() };
    rec.manuallyStopped = false;
    const saved = this.save(rec);
    proc.resume();
    this.deps.publish("start", rec.id, { name: rec.name, image: rec.image });
    try {
      await hostsWritten;
    } catch (err) {
      this.killTask(rec, task, 9).catch(() => {});
      throw new BerthError("guest", `writing the container's hosts file: ${(err as Error).message}`);
    }
    await saved;
  }

  private cgroupReady: Promise<void> | null = null;

  /** /sys/fs/cgroup/berth with the pids and memory controllers for its children, once per VM. */
  private cgroupRoot(vm: GuestVM): Promise<void> {
    // Both sent at once: the agent makes the directory first.
    this.cgroupReady ??= Promise.all([
      vm.mkdir(CGROUP_ROOT).catch(() => {}),
      vm.writeFile(`${CGROUP_ROOT}/cgroup.subtree_control`, "+pids +memory"),
    ]).then(() => {}).catch((err) => {
      this.cgroupReady = null;
      throw err;
    });
    return this.cgroupReady;
  }

  private async newVmSession(vm: GuestVM): Promise<void> {
    if (this.vmSeen === vm) return;
    this.vmSeen = vm;
    this.cgroupReady = null;
    this.snapshots.clear();
    this.deps.volumes.resetGuest(vm);
  }

  /** The container's snapshot in the guest, restoring its saved writable layer after a VM restart. */
  private async snapshotFor(rec: ContainerRecord, snapshots: GuestSnapshots, vm: GuestVM): Promise<Snapshot> {
    const have = this.snapshots.get(rec.id);
    if (have) return have;
    const image = await this.deps.images.resolve(rec.imageId);
    const refs: LayerRef[] = image.manifest.layers.map((l, i) => ({ digest: l.digest, diffId: image.config.rootfs.diff_ids[i], mediaType: l.mediaType }));
    const snap = await snapshots.prepare(refs, { init: true, key: rec.id });
    if (rec.rw) {
      const tar = await this.deps.content.get(rec.rw.digest);
      const { tar: plain, whiteouts, opaqueDirs } = splitForGuest(tar);
      await vm.umount(snap.merged, { detach: true });
      await vm.extractTar(plain, snap.upper);
      for (const d of opaqueDirs) await vm.markOpaque(`${snap.upper}/${d}`);
      for (const w of whiteouts) await vm.whiteout(`${snap.upper}/${w}`);
      await vm.mount({ source: "overlay", target: snap.merged, type: "overlay", data: `lowerdir=${snap.lowers.join(":")},upperdir=${snap.upper},workdir=${snap.work}` });
    }
    this.snapshots.set(rec.id, snap);
    return snap;
  }

  private appendLog(id: string, chunk: LogChunk): void {
    const list = this.logBuffers.get(id) ?? [];
    list.push(chunk);
    let bytes = (this.logBytes.get(id) ?? 0) + chunk.data.length;
    while (bytes > MAX_LOG_BYTES && list.length > 1) bytes -= list.shift()!.data.length;
    this.logBuffers.set(id, list);
    this.logBytes.set(id, bytes);
    for (const fn of this.logListeners.get(id) ?? []) fn(chunk);
  }

  private async persistLogs(id: string): Promise<void> {
    const list = this.logBuffers.get(id) ?? [];
    await this.deps.refs.setMeta(LOGS + id, list.map((c) => ({ stream: c.stream, data: base64Encode(c.data), time: c.time })));
  }

  /** Stops tracking tasks before the guest goes away (daemon shutdown, page unload). */
  detachAll(): void {
    this.detached = true;
  }

  private async onExit(rec: ContainerRecord, exitCode: number, signal: number): Promise<void> {
    if (this.detached) return;
    const task = this.tasks.get(rec.id);
    this.tasks.delete(rec.id);
    this.exiting.add(rec.id);
    const guest = await this.deps.guest();
    const vm = guest.vm;
    let oom = false;
    const policy = rec.host.restartPolicy;
    const restart =
      !rec.manuallyStopped &&
      (policy.name === "always" ||
        policy.name === "unless-stopped" ||
        (policy.name === "on-failure" && exitCode !== 0 && (!policy.maximumRetryCount || rec.restartCount < policy.maximumRetryCount)));
    const removing = !restart && rec.host.autoRemove;
    if (task && vm.running) {
      // --rm (no volumes to sync first): the container's guest files go in the same batch.
      const snap = removing && task.volumes.length === 0 ? this.snapshots.get(rec.id) : undefined;
      // Sent together; the agent reads the events before it removes the cgroup.
      const [ev] = await Promise.all([
        vm.readFile(`${task.cgroup}/memory.events`).catch(() => null),
        vm.remove(task.cgroup).catch(() => {}),
        this.deps.networking?.disconnectTask(vm, rec.id).catch(() => {}),
        snap ? this.removeGuestFiles(vm, rec.id, snap) : undefined,
      ]);
      if (snap) this.snapshots.delete(rec.id);
      if (ev) oom = /oom_kill [1-9]/.test(new TextDecoder().decode(ev));
      for (const v of task.volumes) await this.deps.volumes.sync(v).catch(() => {});
      // Keep its writable layer outside the guest, unless --rm is about to delete it.
      if (!rec.host.autoRemove) await this.saveRw(rec, vm).catch(() => {});
    }
    if (this.deps.ports) await this.deps.ports.unpublish(rec.id).catch(() => {});
    rec.state = { ...rec.state, status: "exited", pid: 0, exitCode, oomKilled: oom, finishedAt: new Date().toISOString() };
    rec.publishedPorts = [];
    // A record and logs that --rm deletes next are not written first.
    if (!removing) await Promise.all([this.save(rec), this.persistLogs(rec.id)]);
    this.deps.publish("die", rec.id, { name: rec.name, image: rec.image, exitCode: String(exitCode), ...(signal ? { signal: String(signal) } : {}) });
    const attached = [...this.sessions].filter(([, s]) => s.containerId === rec.id && s.proc === null);
    // Attached clients (docker run) learn of the exit once --rm has removed
    // the container, as docker run --rm returns after the removal.
    const tellAttached = () => {
      for (const [sid, s] of attached) {
        s.handlers.onExit(exitCode);
        this.sessions.delete(sid);
      }
    };
    if (!removing) tellAttached();

    if (restart && this.records.has(rec.id)) {
      rec.restartCount++;
      rec.state.status = "restarting";
      await this.save(rec);
      const delay = Math.min(100 * 2 ** Math.min(rec.restartCount - 1, 8), 10_000);
      setTimeout(() => {
        if (this.records.get(rec.id)?.state.status === "restarting") {
          this.start(rec.id).catch(async (err) => {
            rec.state = { ...rec.state, status: "exited", error: String(err.message ?? err) };
            await this.save(rec);
          });
        }
      }, delay);
    } else if (removing) {
      await this.remove(rec.id, { force: true, volumes: true }).catch(() => {});
      tellAttached();
    }
    // Waiters learn of the exit once its consequences (--rm) are done.
    this.exiting.delete(rec.id);
    for (const fn of this.exitWaiters.get(rec.id) ?? []) fn(exitCode);
    this.exitWaiters.delete(rec.id);
  }

  /** Keeps the writable layer outside the guest, so it survives a VM restart. */
  private async saveRw(rec: ContainerRecord, vm: GuestVM): Promise<void> {
    const snap = this.snapshots.get(rec.id);
    if (!snap) return;
    const [upper, opaque] = await Promise.all([vm.createTar(snap.upper), vm.listOpaque(snap.upper)]);
    const tar = overlayUpperToLayer(upper, opaque);
    const digest = await sha256(tar);
    if (rec.rw?.digest === digest) return;
    await putBlob(this.deps.content, tar, { digest, size: tar.length });
    const old = rec.rw;
    rec.rw = { digest, size: tar.length };
    await this.save(rec);
    if (old) await this.deps.content.delete(old.digest).catch(() => {});
  }

  // ---------- stop, kill, pause ----------

  async stop(idOrName: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = await this.get(idOrName);
    rec.manuallyStopped = true;
    const task = this.tasks.get(rec.id);
    if (!task) {
      if (rec.state.status === "restarting") {
        rec.state.status = "exited";
        await this.save(rec);
      }
      return;
    }
    if (rec.state.status === "paused") await this.unpause(rec.id);
    const timeout = opts.timeout ?? rec.config.stopTimeout;
    task.proc.signal(parseSignal(opts.signal ?? rec.config.stopSignal));
    const done = await Promise.race([task.exited.then(() => true), sleep(timeout * 1000).then(() => false)]);
    if (!done) {
      await this.killTask(rec, task, 9);
      await task.exited;
    }
    this.deps.publish("stop", rec.id, { name: rec.name, image: rec.image });
  }

  /** SIGKILL to the init of a pid namespace ends it all; cgroup.kill makes sure. */
  private async killTask(rec: ContainerRecord, task: Task, signal: number): Promise<void> {
    task.proc.signal(signal);
    if (signal === 9) {
      const { vm } = await this.deps.guest();
      await vm.writeFile(`${task.cgroup}/cgroup.kill`, "1").catch(() => {});
    }
    void rec;
  }

  async kill(idOrName: string, signal?: string): Promise<void> {
    const rec = await this.get(idOrName);
    const task = this.tasks.get(rec.id);
    if (!task || rec.state.status !== "running" && rec.state.status !== "paused") {
      throw new BerthError("conflict", `cannot kill container: ${idOrName}: container ${rec.id} is not running`);
    }
    const sig = parseSignal(signal, 9);
    rec.manuallyStopped = sig === 9 || sig === 15 ? true : rec.manuallyStopped;
    if (rec.state.status === "paused" && sig === 9) await this.unpause(rec.id);
    await this.killTask(rec, task, sig);
    this.deps.publish("kill", rec.id, { name: rec.name, image: rec.image, signal: String(sig) });
  }

  async restart(idOrName: string, opts: { timeout?: number } = {}): Promise<void> {
    const rec = await this.get(idOrName);
    await this.stop(rec.id, opts);
    await this.start(rec.id);
    this.deps.publish("restart", rec.id, { name: rec.name, image: rec.image });
  }

  async pause(idOrName: string): Promise<void> {
    const rec = await this.get(idOrName);
    const task = this.tasks.get(rec.id);
    if (!task || rec.state.status !== "running") throw new BerthError("conflict", `Container ${rec.id} is not running`);
    const { vm } = await this.deps.guest();
    await vm.writeFile(`${task.cgroup}/cgroup.freeze`, "1");
    rec.state.status = "paused";
    await this.save(rec);
    this.deps.publish("pause", rec.id, { name: rec.name, image: rec.image });
  }

  async unpause(idOrName: string): Promise<void> {
    const rec = await this.get(idOrName);
    const task = this.tasks.get(rec.id);
    if (!task || rec.state.status !== "paused") throw new BerthError("conflict", `Container ${rec.id} is not paused`);
    const { vm } = await this.deps.guest();
    await vm.writeFile(`${task.cgroup}/cgroup.freeze`, "0");
    rec.state.status = "running";
    await this.save(rec);
    this.deps.publish("unpause", rec.id, { name: rec.name, image: rec.image });
  }

  // ---------- remove, rename, prune ----------

  /**
   * Deletes a container's snapshot and files in the guest. Sent together
   * (what GuestSnapshots.remove does, plus the container's files): the agent
   * unmounts the rootfs before it deletes the snapshot.
   */
  private async removeGuestFiles(vm: GuestVM, id: string, snap: Snapshot): Promise<void> {
    await Promise.all([
      vm.umount(snap.merged, { detach: true }).catch(() => {}),
      vm.remove(snap.dir, { recursive: true }).catch(() => {}),
      vm.remove(`${CONTAINERS_DIR}/${id}`, { recursive: true }).catch(() => {}),
    ]);
  }

  async remove(idOrName: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const rec = await this.get(idOrName);
    const task = this.tasks.get(rec.id);
    if (task || rec.state.status === "running" || rec.state.status === "paused") {
      if (!opts.force) {
        throw new BerthError(
          "conflict",
          `cannot remove container "/${rec.name}": container is ${rec.state.status}: stop the container before removing or force remove`,
        );
      }
      rec.manuallyStopped = true;
      rec.host.restartPolicy = { name: "no" };
      rec.host.autoRemove = false;
      if (task) {
        if (rec.state.status === "paused") await this.unpause(rec.id).catch(() => {});
        await this.killTask(rec, task, 9);
        await task.exited;
      }
    }
    this.records.delete(rec.id);
    const snap = this.snapshots.get(rec.id);
    this.snapshots.delete(rec.id);
    // The guest's part and the store's go side by side.
    const guestWork = (async () => {
      if (!snap) return;
      const { vm } = await this.deps.guest();
      await this.removeGuestFiles(vm, rec.id, snap);
    })();
    const storeWork = Promise.all([
      this.deps.networking?.release(rec.id).catch(() => {}),
      rec.rw ? this.deps.content.delete(rec.rw.digest).catch(() => {}) : undefined,
      this.deps.refs.deleteMeta(META + rec.id).catch(() => {}),
      this.deps.refs.deleteMeta(LOGS + rec.id).catch(() => {}),
    ]);
    await guestWork;
    for (const m of rec.host.mounts) {
      if (m.type !== "volume" || !m.name) continue;
      this.deps.volumes.removeUser(m.name, rec.id);
      if (opts.volumes && m.anonymous) await this.deps.volumes.remove(m.name).catch(() => {});
    }
    await storeWork;
    this.logBuffers.delete(rec.id);
    this.logBytes.delete(rec.id);
    this.deps.publish("destroy", rec.id, { name: rec.name, image: rec.image });
  }

  async rename(idOrName: string, newName: string): Promise<void> {
    const rec = await this.get(idOrName);
    const name = newName.replace(/^\//, "");
    if (!NAME.test(name)) throw new BerthError("invalid-argument", `Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const other = [...this.records.values()].find((r) => r.name === name && r.id !== rec.id);
    if (other) throw new BerthError("conflict", `Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const old = rec.name;
    rec.name = name;
    await this.save(rec);
    this.deps.publish("rename", rec.id, { name, oldName: `/${old}` });
  }

  async prune(): Promise<PruneResult> {
    await this.loaded;
    const deleted: string[] = [];
    let space = 0;
    for (const rec of [...this.records.values()]) {
      if (rec.state.status !== "exited" && rec.state.status !== "created" && rec.state.status !== "dead") continue;
      space += rec.rw?.size ?? 0;
      await this.remove(rec.id);
      deleted.push(rec.id);
    }
    return { deleted, spaceReclaimed: space };
  }

  // ---------- reading ----------

  async list(opts: { all?: boolean; filters?: Record<string, string[]> } = {}): Promise<ContainerSummary[]> {
    await this.loaded;
    const f = opts.filters ?? {};
    const all = opts.all || Object.keys(f).length > 0;
    const out: ContainerSummary[] = [];
    for (const rec of this.records.values()) {
      if (!all && rec.state.status !== "running" && rec.state.status !== "paused" && rec.state.status !== "restarting") continue;
      if (f.status?.length && !f.status.includes(rec.state.status)) continue;
      if (f.name?.length && !f.name.some((n) => rec.name.includes(n.replace(/^\//, "")))) continue;
      if (f.id?.length && !f.id.some((i) => rec.id.startsWith(i))) continue;
      if (f.label?.length && !f.label.every((l) => labelMatches(rec.config.labels, l))) continue;
      if (f.ancestor?.length && !f.ancestor.some((a) => this.ancestorMatches(rec, a))) continue;
      if (f.exited?.length && !(rec.state.status === "exited" && f.exited.includes(String(rec.state.exitCode)))) continue;
      out.push(this.summary(rec));
    }
    return out.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  }

  private ancestorMatches(rec: ContainerRecord, a: string): boolean {
    if (rec.imageId.replace("sha256:", "").startsWith(a.replace("sha256:", ""))) return true;
    try {
      return familiarString(parseReference(a)) === familiarString(parseReference(rec.image));
    } catch {
      return false;
    }
  }

  private summary(rec: ContainerRecord): ContainerSummary {
    return {
      id: rec.id,
      name: rec.name,
      image: rec.image,
      imageId: rec.imageId,
      command: [rec.path, ...rec.args].join(" "),
      created: rec.created,
      state: rec.state.status,
      status: statusText(rec),
      ports: rec.state.status === "running" || rec.state.status === "paused" ? rec.publishedPorts : [],
      labels: rec.config.labels,
      mounts: rec.host.mounts.map((m) => ({ type: m.type, name: m.name, source: m.type === "volume" ? `/var/lib/berth/volumes/${m.name}/_data` : m.source, destination: m.target })),
      networks: Object.keys(rec.networks).length ? Object.keys(rec.networks) : [rec.host.network],
    };
  }

  async inspect(idOrName: string): Promise<ContainerInspect> {
    const rec = await this.get(idOrName);
    const s = rec.state;
    return {
      ...this.summary(rec),
      path: rec.path,
      args: rec.args,
      stateDetail: {
        status: s.status,
        running: s.status === "running" || s.status === "paused",
        paused: s.status === "paused",
        restarting: s.status === "restarting",
        oomKilled: s.oomKilled,
        dead: s.status === "dead",
        pid: s.pid,
        exitCode: s.exitCode,
        error: s.error,
        startedAt: s.startedAt,
        finishedAt: s.finishedAt,
      },
      restartCount: rec.restartCount,
      config: {
        image: rec.image,
        name: rec.name,
        cmd: rec.config.cmd,
        entrypoint: rec.config.entrypoint,
        env: rec.config.env,
        workingDir: rec.config.workingDir,
        user: rec.config.user,
        hostname: rec.config.hostname,
        tty: rec.config.tty,
        openStdin: rec.config.openStdin,
        labels: rec.config.labels,
        stopSignal: rec.config.stopSignal,
        stopTimeout: rec.config.stopTimeout,
        autoRemove: rec.host.autoRemove,
        mounts: rec.host.mounts.map((m) => ({ type: m.type, source: m.source, target: m.target, readOnly: m.readOnly })),
        ports: rec.host.ports,
        network: rec.host.network,
        restartPolicy: rec.host.restartPolicy as ContainerCreateOptions["restartPolicy"],
        memory: rec.host.memory,
        pidsLimit: rec.host.pidsLimit,
        readOnly: rec.host.readOnly,
      },
      networkSettings: {
        networks: Object.fromEntries(
          Object.entries(rec.networks).map(([n, v]) => [n, { ipAddress: v.ipAddress, aliases: v.aliases, gateway: v.gateway, macAddress: v.macAddress }]),
        ),
      },
    };
  }

  async wait(idOrName: string): Promise<{ exitCode: number }> {
    const rec = await this.get(idOrName);
    if (!this.tasks.has(rec.id) && !this.exiting.has(rec.id) && rec.state.status !== "restarting") return { exitCode: rec.state.exitCode };
    return new Promise((resolve) => {
      const set = this.exitWaiters.get(rec.id) ?? new Set();
      set.add((exitCode) => resolve({ exitCode }));
      this.exitWaiters.set(rec.id, set);
    });
  }

  async logs(idOrName: string, opts: LogOptions, onChunk: (c: LogChunk) => void, signal?: { cancelled: boolean }): Promise<void> {
    const rec = await this.get(idOrName);
    let past = this.logBuffers.get(rec.id) ?? [];
    if (opts.since) past = past.filter((c) => c.time >= new Date(sinceToDate(opts.since!)).toISOString());
    if (opts.tail !== undefined && opts.tail !== "all") past = tailLines(past, opts.tail);
    for (const c of past) onChunk(c);
    if (!opts.follow || !this.tasks.has(rec.id)) return;
    await new Promise<void>((resolve) => {
      const listeners = this.logListeners.get(rec.id) ?? new Set();
      const fn = (c: LogChunk) => {
        if (signal?.cancelled) return done();
        onChunk(c);
      };
      const done = () => {
        listeners.delete(fn);
        resolve();
      };
      listeners.add(fn);
      this.logListeners.set(rec.id, listeners);
      void this.tasks.get(rec.id)?.exited.then(done);
    });
  }

  async top(idOrName: string): Promise<TopResult> {
    const rec = await this.get(idOrName);
    const task = this.tasks.get(rec.id);
    if (!task) throw new BerthError("conflict", `Container ${rec.id} is not running`);
    const { vm } = await this.deps.guest();
    const pids = new TextDecoder().decode(await vm.readFile(`${task.cgroup}/cgroup.procs`)).split("\n").filter(Boolean);
    const ps = await vm.exec(["ps", "-o", "pid,ppid,user,stat,args"]);
    if (ps.exitCode !== 0) throw new BerthError("guest", `ps: ${ps.stderr.trim()}`);
    const lines = ps.stdout.split("\n").filter(Boolean);
    const rows = lines.slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => pids.includes(f[0]));
    return { titles: ["PID", "PPID", "USER", "STAT", "COMMAND"], processes: rows.map((f) => [f[0], f[1], f[2], f[3], f.slice(4).join(" ")]) };
  }

  /** docker diff: what the container changed against its image (A, C, D). */
  async diff(idOrName: string): Promise<FileChange[]> {
    const rec = await this.get(idOrName);
    let upper: Uint8Array | null = null;
    const snap = this.snapshots.get(rec.id);
    if (snap) {
      const { vm } = await this.deps.guest();
      upper = overlayUpperToLayer(await vm.createTar(snap.upper), await vm.listOpaque(snap.upper));
    } else if (rec.rw) {
      upper = await this.deps.content.get(rec.rw.digest);
    }
    if (!upper) return [];
    const image = await this.deps.images.resolve(rec.imageId);
    const view = new LayeredView();
    for (const l of image.manifest.layers) {
      const blob = await this.deps.content.get(l.digest);
      view.applyLayer(isGzip(blob) ? await gunzip(blob) : blob);
    }
    const changes = layerChanges(view, upper);
    const after = view.clone();
    after.applyLayer(upper);
    // Docker lists the parent directories of changes as changed too (C).
    const out = new Map<string, FileChange>();
    for (const c of changes) {
      const e = (c.kind === "D" ? view : after).lookup(c.path, { follow: false });
      out.set(c.path, { path: "/" + c.path, kind: c.kind, type: e?.type ?? "file", size: e?.size ?? 0, mode: e?.mode ?? 0 });
      const parts = c.path.split("/");
      for (let i = 1; i < parts.length; i++) {
        const p = parts.slice(0, i).join("/");
        if (!out.has(p) && view.exists(p)) out.set(p, { path: "/" + p, kind: "C", type: "dir", size: 0, mode: view.lookup(p)?.mode ?? 0 });
      }
    }
    return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** A tar of a path in the container (docker cp out). */
  async archiveGet(idOrName: string, path: string): Promise<Uint8Array> {
    const rec = await this.get(idOrName);
    const { vm, snapshots } = await this.deps.guest();
    await this.newVmSession(vm);
    const snap = await this.snapshotFor(rec, snapshots, vm);
    const clean = path.replace(/\/+$/, "") || "/";
    const st = await vm.stat(`${snap.merged}${clean}`).catch(() => null);
    if (!st) throw new BerthError("not-found", `Could not find the file ${path} in container ${rec.name}`);
    const parent = clean.split("/").slice(0, -1).join("/") || "/";
    const base = clean.split("/").pop() || ".";
    const name = `cp-${randomHex(8)}.tar`;
    const r = await vm.exec(["tar", "-c", "-f", `/tmp/${name}`, "-C", `${snap.merged}${parent}`, base]);
    if (r.exitCode !== 0) throw new BerthError("guest", `copying ${path}: ${r.stderr.trim()}`);
    try {
      return await vm.getFile(`/tmp/${name}`);
    } finally {
      await vm.remove(`/tmp/${name}`).catch(() => {});
    }
  }

  /** Extracts a tar at a path in the container (docker cp in). */
  async archivePut(idOrName: string, path: string, tar: Uint8Array): Promise<void> {
    const rec = await this.get(idOrName);
    const { vm, snapshots } = await this.deps.guest();
    await this.newVmSession(vm);
    const snap = await this.snapshotFor(rec, snapshots, vm);
    const st = await vm.stat(`${snap.merged}${path}`).catch(() => null);
    if (!st || st.type !== "directory") throw new BerthError("not-found", `Could not find the file ${path} in container ${rec.name}`);
    await vm.extractTar(tar, `${snap.merged}${path}`);
    if (!this.tasks.has(rec.id)) await this.saveRw(rec, vm);
  }

  // ---------- sessions: attach and exec ----------

  async attach(idOrName: string, opts: { stdin?: boolean }, handlers: SessionHandlers): Promise<number> {
    const rec = await this.get(idOrName);
    // Attaching to a created container is how `docker run` works: output
    // flows once it starts.
    if (!this.tasks.has(rec.id) && rec.state.status !== "created") {
      throw new BerthError("conflict", `You cannot attach to a stopped container, start it first`);
    }
    const id = this.nextSession++;
    const listeners = this.logListeners.get(rec.id) ?? new Set();
    const fn = (c: LogChunk) => handlers.onOutput(c.stream, c.data);
    listeners.add(fn);
    this.logListeners.set(rec.id, listeners);
    this.sessions.set(id, { proc: null, containerId: rec.id, handlers, detach: () => listeners.delete(fn) });
    void opts;
    return id;
  }

  async exec(idOrName: string, opts: ExecOptions, handlers: SessionHandlers): Promise<number> {
    const rec = await this.get(idOrName);
    const task = this.tasks.get(rec.id);
    if (!task) throw new BerthError("conflict", `Container ${rec.id} is not running`);
    if (rec.state.status === "paused") throw new BerthError("conflict", `Container ${rec.id} is paused, unpause the container before exec`);
    const { vm } = await this.deps.guest();
    const user = await resolveUserIn(vm, task.snapshot.merged, opts.user || rec.config.user);
    const env = mergeEnv(rec.config.env.some((e) => e.startsWith("PATH=")) ? rec.config.env : [DEFAULT_PATH, ...rec.config.env], opts.env ?? []);
    let proc: GuestProcess;
    try {
      proc = await vm.spawn({
        argv: opts.cmd,
        env: mergeEnv([`HOSTNAME=${rec.config.hostname}`, ...(opts.tty ? ["TERM=xterm"] : [])], env),
        cwd: opts.workingDir || rec.config.workingDir || "/",
        uid: user.uid,
        gid: user.gid,
        groups: user.groups,
        tty: opts.tty ? { rows: 24, cols: 80 } : undefined,
        stdin: !!opts.interactive,
        join: task.proc.pid,
        cgroup: task.cgroup,
      });
    } catch (err) {
      const e = err as BerthError;
      throw new BerthError(e.kind === "not-found" ? "invalid-argument" : e.kind, `OCI runtime exec failed: ${e.message}`);
    }
    const id = this.nextSession++;
    proc.onStdout((d) => handlers.onOutput("stdout", d));
    proc.onStderr((d) => handlers.onOutput("stderr", d));
    void proc.exited.then((s) => {
      this.sessions.delete(id);
      handlers.onExit(s.exitCode);
    });
    this.sessions.set(id, { proc, containerId: rec.id, handlers, detach: () => {} });
    this.deps.publish("exec_start", rec.id, { name: rec.name, execID: String(id) });
    return id;
  }

  async sessionWrite(id: number, data: Uint8Array | string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    const target = s.proc ?? this.tasks.get(s.containerId)?.proc;
    target?.write(data);
  }

  async sessionCloseStdin(id: number): Promise<void> {
    const s = this.sessions.get(id);
    const target = s?.proc ?? (s ? this.tasks.get(s.containerId)?.proc : undefined);
    target?.closeStdin();
  }

  async sessionResize(id: number, rows: number, cols: number): Promise<void> {
    const s = this.sessions.get(id);
    const target = s?.proc ?? (s ? this.tasks.get(s.containerId)?.proc : undefined);
    target?.resize(rows, cols);
  }

  async sessionDetach(id: number): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    s.detach();
    this.sessions.delete(id);
  }

  /** Rewrites the /etc/hosts of running containers (network membership changed). */
  async rewriteHosts(ids: string[]): Promise<void> {
    if (!this.deps.networking) return;
    const { vm } = await this.deps.guest();
    for (const id of ids) {
      if (!this.tasks.has(id)) continue;
      // In place (same inode): the container has the file bind-mounted.
      await vm.writeFile(`${CONTAINERS_DIR}/${id}/hosts`, this.deps.networking.hostsFile(id)).catch(() => {});
    }
  }

  /** The guest pid of a running container's init, or undefined. */
  taskPid(idOrName: string): number | undefined {
    const rec = this.find(idOrName);
    return rec ? this.tasks.get(rec.id)?.proc.pid : undefined;
  }

  /** Writes every running container's files out (before a page unload). */
  async flush(): Promise<void> {
    const { vm } = await this.deps.guest();
    for (const id of this.tasks.keys()) {
      const rec = this.records.get(id);
      if (rec) await this.saveRw(rec, vm).catch(() => {});
      await this.persistLogs(id).catch(() => {});
    }
    await this.deps.volumes.syncAll();
  }

  counts(): { total: number; running: number; paused: number; stopped: number } {
    let running = 0;
    let paused = 0;
    for (const r of this.records.values()) {
      if (r.state.status === "running") running++;
      else if (r.state.status === "paused") paused++;
    }
    return { total: this.records.size, running, paused, stopped: this.records.size - running - paused };
  }

  async usingImage(imageId: string): Promise<{ id: string; running: boolean }[]> {
    await this.loaded;
    return [...this.records.values()].filter((r) => r.imageId === imageId).map((r) => ({ id: r.id, running: this.tasks.has(r.id) }));
  }
}

// ---------- helpers ----------

function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const out = new Map<string, string>();
  for (const kv of [...base, ...extra]) {
    const i = kv.indexOf("=");
    const k = i < 0 ? kv : kv.slice(0, i);
    out.set(k, kv);
  }
  return [...out.values()];
}

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const i = filter.indexOf("=");
  if (i < 0) return filter in labels;
  return labels[filter.slice(0, i)] === filter.slice(i + 1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return "About a minute";
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return "About an hour";
  if (h < 48) return `${h} hours`;
  const d = Math.round(s / 86400);
  if (d < 14) return `${d} days`;
  if (d < 60) return `${Math.round(d / 7)} weeks`;
  if (d < 730) return `${Math.round(d / 30)} months`;
  return `${Math.round(d / 365)} years`;
}

function statusText(rec: ContainerRecord): string {
  const now = Date.now();
  const s = rec.state;
  switch (s.status) {
    case "created":
      return "Created";
    case "running":
      return `Up ${humanDuration(now - Date.parse(s.startedAt))}`;
    case "paused":
      return `Up ${humanDuration(now - Date.parse(s.startedAt))} (Paused)`;
    case "restarting":
      return `Restarting (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
    case "exited":
      return `Exited (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
    default:
      return s.status;
  }
}

function tailLines(chunks: LogChunk[], n: number): LogChunk[] {
  if (n <= 0) return [];
  // Count newlines from the end; keep whole chunks (and cut the first one).
  let lines = 0;
  for (let i = chunks.length - 1; i >= 0; i--) {
    const data = chunks[i].data;
    for (let j = data.length - 1; j >= 0; j--) {
      if (data[j] === 10 && !(i === chunks.length - 1 && j === data.length - 1)) {
        lines++;
        if (lines === n) return [{ ...chunks[i], data: data.subarray(j + 1) }, ...chunks.slice(i + 1)];
      }
    }
  }
  return chunks;
}

function sinceToDate(since: string): number {
  const rel = /^(\d+)([smhd])$/.exec(since);
  if (rel) return Date.now() - Number(rel[1]) * { s: 1000, m: 60000, h: 3600000, d: 86400000 }[rel[2] as "s"];
  const t = Date.parse(since);
  if (Number.isNaN(t)) throw new BerthError("invalid-argument", `invalid value for "since": ${since}`);
  return t;
}

function base64Encode(data: Uint8Array): string {
  let s = "";
  for (let i = 0; i < data.length; i += 0x8000) s += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(s);
}

function base64Decode(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const ADJECTIVES = ["admiring", "brave", "clever", "dazzling", "eager", "festive", "gallant", "happy", "jolly", "keen", "lucid", "modest", "nifty", "optimistic", "peaceful", "quirky", "relaxed", "serene", "trusting", "upbeat", "vibrant", "wizardly", "youthful", "zealous"];
const NOUNS = ["babbage", "curie", "darwin", "einstein", "feynman", "galileo", "hopper", "kepler", "lovelace", "meitner", "newton", "noether", "pascal", "ritchie", "shannon", "tesla", "thompson", "turing", "wozniak", "yonath"];

function randomName(): string {
  const a = ADJECTIVES[Math.floor(Math.random() * ADJECTIVES.length)];
  const n = NOUNS[Math.floor(Math.random() * NOUNS.length)];
  return `${a}_${n}`;
}
