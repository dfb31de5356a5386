// The engine's API: what the docker CLI (src/cli) and the page (src/ui) may
// ask of the daemon (src/engine), the way the docker CLI talks to dockerd.
// Everything here crosses the worker boundary through comlink, so arguments
// and results are plain data (structured-clonable) and callbacks are the only
// functions (the page wraps them with Comlink.proxy). Errors are BerthErrors;
// their messages follow dockerd's wording ("No such container: x").

import type { ImageConfig, HistoryEntry } from "./oci.ts";

// ---------- system ----------

export interface VersionInfo {
  version: string;
  apiVersion: string;
  os: "linux";
  arch: "386";
  kernelVersion: string;
  guest: { state: "starting" | "running" | "stopped"; startMs?: number; mode?: "restore" | "cold" };
}

export interface SystemInfo {
  containers: number;
  containersRunning: number;
  containersPaused: number;
  containersStopped: number;
  images: number;
  kernelVersion: string;
  memTotal: number;
  storageUsed: number;
}

export interface DiskUsage {
  images: { count: number; size: number };
  containers: { count: number; size: number };
  volumes: { count: number; size: number };
  buildCache: { count: number; size: number };
}

// ---------- events (docker events) ----------

export type EventType = "container" | "image" | "volume" | "network" | "builder";

export interface EngineEvent {
  type: EventType;
  /** e.g. create, start, die, pause, unpause, stop, kill, destroy, rename, attach, exec_start, tag, untag, delete, build, mount, unmount, connect, disconnect, prune */
  action: string;
  /** Id of the object (container id, image id, volume name, network id). */
  id: string;
  /** Attributes as docker shows them: name, image, exitCode, signal, ... */
  attributes: Record<string, string>;
  /** Unix time in nanoseconds as a string, like dockerd's timeNano; and seconds. */
  time: number;
  timeNano: string;
}

// ---------- images ----------

export interface ImageSummary {
  /** sha256:... of the config blob (docker's IMAGE ID). */
  id: string;
  /** Familiar names, e.g. ["busybox:latest"]; empty for a dangling image. */
  repoTags: string[];
  repoDigests: string[];
  /** ISO time. */
  created: string;
  /** Bytes: compressed layers + config, as stored. */
  size: number;
  /** Containers using it (-1 when not computed). */
  containers: number;
}

export interface ImageLayerInfo {
  /** sha256 of the compressed blob; absent for an empty-layer history step. */
  digest?: string;
  diffId?: string;
  size: number;
  /** The history entry this layer (or metadata step) came from. */
  history: HistoryEntry;
  /** How many images share this layer. */
  sharedBy: number;
}

export interface ImageInspect extends ImageSummary {
  manifestDigest: string;
  architecture: string;
  os: string;
  config: ImageConfig["config"];
  rootfs: { type: string; diff_ids: string[] };
  history: HistoryEntry[];
  layers: ImageLayerInfo[];
}

export interface ImageRemoveResult {
  untagged?: string;
  deleted?: string;
}

/** One entry of a layer's file tree, for the layer explorer and docker diff. */
export interface FileChange {
  path: string;
  kind: "A" | "C" | "D";
  type: "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";
  size: number;
  mode: number;
}

// ---------- build ----------

export interface BuildOptions {
  /**
   * Build context: path -> bytes, as the workspace holds it. `mode` is the
   * permission bits (0o120000 set: a symlink whose target is `data`); `mtime`
   * is in milliseconds since the epoch.
   */
  context: { path: string; data: Uint8Array; mode?: number; mtime?: number }[];
  /** Dockerfile path inside the context (default "Dockerfile"). */
  dockerfile?: string;
  tags?: string[];
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  labels?: Record<string, string>;
  /** --platform: only linux/386 can run here. */
  platform?: string;
}

export type BuildStepStatus = "running" | "done" | "cached" | "failed";

export type BuildEvent =
  | { type: "plan"; steps: { id: string; name: string; stage: string; line?: number }[] }
  | {
      type: "step";
      id: string;
      /** BuildKit-style name, e.g. "[2/5] RUN echo hi" or "[build 1/3] FROM docker.io/library/busybox:latest". */
      name: string;
      status: BuildStepStatus;
      durationMs?: number;
      /** Why a step missed the cache: which instruction or which file changed. */
      cacheMiss?: string;
      error?: string;
    }
  | { type: "log"; id: string; stream: "stdout" | "stderr"; data: string }
  | { type: "done"; imageId: string; tags: string[]; durationMs: number }
  | { type: "error"; message: string; stepId?: string; exitCode?: number; file?: string; line?: number };

export interface BuildResult {
  imageId: string;
  tags: string[];
}

// ---------- containers ----------

export type ContainerState = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export interface MountRequest {
  type: "volume" | "bind" | "tmpfs";
  /** Volume name (empty for an anonymous volume) or bind source path. */
  source?: string;
  target: string;
  readOnly?: boolean;
  /** tmpfs size in bytes. */
  tmpfsSize?: number;
}

export interface PortBinding {
  containerPort: number;
  protocol: "tcp" | "udp";
  hostIp?: string;
  /** 0: choose one. */
  hostPort: number;
}

export type RestartPolicy = { name: "no" } | { name: "always" } | { name: "unless-stopped" } | { name: "on-failure"; maximumRetryCount?: number };

export interface ContainerCreateOptions {
  image: string;
  name?: string;
  /** Overrides the image's CMD (undefined: keep the image's). */
  cmd?: string[];
  /** Overrides the image's ENTRYPOINT ([] or [""] clears it). */
  entrypoint?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  tty?: boolean;
  openStdin?: boolean;
  stdinOnce?: boolean;
  autoRemove?: boolean;
  mounts?: MountRequest[];
  ports?: PortBinding[];
  publishAll?: boolean;
  network?: string;
  networkAliases?: string[];
  restartPolicy?: RestartPolicy;
  memory?: number;
  pidsLimit?: number;
  readOnly?: boolean;
  labels?: Record<string, string>;
  stopSignal?: string;
  stopTimeout?: number;
}

export interface ContainerSummary {
  id: string;
  /** Without the leading slash. */
  name: string;
  image: string;
  imageId: string;
  command: string;
  created: string;
  state: ContainerState;
  /** docker ps STATUS text, e.g. "Up 3 minutes", "Exited (0) 2 seconds ago". */
  status: string;
  ports: PortBinding[];
  labels: Record<string, string>;
  mounts: { type: string; name?: string; source: string; destination: string }[];
  networks: string[];
}

export interface ContainerInspect extends ContainerSummary {
  path: string;
  args: string[];
  stateDetail: {
    status: ContainerState;
    running: boolean;
    paused: boolean;
    restarting: boolean;
    oomKilled: boolean;
    dead: boolean;
    pid: number;
    exitCode: number;
    error: string;
    startedAt: string;
    finishedAt: string;
  };
  restartCount: number;
  config: ContainerCreateOptions & { env: string[]; cmd: string[]; entrypoint: string[] };
  networkSettings: { networks: Record<string, { ipAddress: string; aliases: string[]; gateway: string; macAddress: string }> };
}

export interface LogOptions {
  follow?: boolean;
  /** Number of lines from the end, or "all". */
  tail?: number | "all";
  timestamps?: boolean;
  since?: string;
}

export interface LogChunk {
  stream: "stdout" | "stderr";
  data: Uint8Array;
  /** ISO time when the container wrote it. */
  time: string;
}

/** An interactive stream to a container's process (attach, exec, run -it). */
export interface SessionHandlers {
  onOutput: (stream: "stdout" | "stderr", data: Uint8Array) => void;
  /** Exit code of the process (or the container's). */
  onExit: (exitCode: number) => void;
}

export interface ExecOptions {
  cmd: string[];
  tty?: boolean;
  interactive?: boolean;
  env?: string[];
  workingDir?: string;
  user?: string;
  detach?: boolean;
}

export interface TopResult {
  titles: string[];
  processes: string[][];
}

export interface PruneResult {
  deleted: string[];
  spaceReclaimed: number;
}

// ---------- volumes and networks ----------

export interface VolumeInfo {
  name: string;
  driver: "local";
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
  anonymous: boolean;
  /** Containers that mount it. */
  usedBy: string[];
  size: number;
}

export interface NetworkInfo {
  id: string;
  name: string;
  driver: "bridge" | "host" | "null";
  scope: "local";
  internal: boolean;
  subnet: string;
  gateway: string;
  created: string;
  containers: Record<string, { name: string; ipAddress: string; aliases: string[] }>;
}

// ---------- registries (pull, push, login) and archives (save, load, import, export) ----------

/**
 * A progress message of a pull or push, like dockerd's JSON messages: an
 * `id` (a tag, or a layer's 12-digit short ID) with a status, e.g.
 * {id: "latest", status: "Pulling from library/busybox"},
 * {id: "9ad63333ebc9", status: "Downloading", progressDetail: {current, total}},
 * {status: "Digest: sha256:..."}. The CLI prints them as docker does.
 */
export interface ProgressMessage {
  id?: string;
  status: string;
  progressDetail?: { current: number; total?: number };
}

export interface PullResult {
  /** What was pulled, as docker prints it last: "docker.io/library/busybox:latest" (the repository for --all-tags). */
  name: string;
  /** Digest the reference resolved to (an index's or a manifest's). */
  digest: string;
  /** Image ID (config digest); empty for --all-tags. */
  id: string;
  /** True when the tag already pointed at this image. */
  upToDate: boolean;
}

export interface PushResult {
  tag: string;
  /** Manifest digest. */
  digest: string;
  /** Manifest size in bytes. */
  size: number;
}

export interface LoadedImage {
  /** Image ID (config digest). */
  id: string;
  /** Familiar tags it was loaded with ("busybox:latest"); empty: docker prints "Loaded image ID: ...". */
  tags: string[];
}

// ---------- the API ----------

export interface EngineApi {
  version(): Promise<VersionInfo>;
  info(): Promise<SystemInfo>;
  diskUsage(): Promise<DiskUsage>;
  /** Subscribes to events; returns a subscription id for unsubscribe. */
  subscribe(onEvent: (e: EngineEvent) => void, filters?: Record<string, string[]>): Promise<number>;
  unsubscribe(id: number): Promise<void>;

  // images
  imageList(opts?: { all?: boolean; danglingOnly?: boolean }): Promise<ImageSummary[]>;
  imageInspect(ref: string): Promise<ImageInspect>;
  imageTag(source: string, target: string): Promise<void>;
  imageRemove(ref: string, opts?: { force?: boolean }): Promise<ImageRemoveResult[]>;
  imagePrune(opts?: { all?: boolean }): Promise<PruneResult>;
  /** Files of one layer with A/C/D marks (index into the image's layers). */
  imageLayerChanges(ref: string, layerIndex: number): Promise<FileChange[]>;
  build(opts: BuildOptions, onEvent: (e: BuildEvent) => void): Promise<BuildResult>;
  buildCachePrune(): Promise<PruneResult>;

  // containers
  containerCreate(opts: ContainerCreateOptions): Promise<{ id: string; warnings: string[] }>;
  containerStart(id: string): Promise<void>;
  containerStop(id: string, opts?: { timeout?: number; signal?: string }): Promise<void>;
  containerRestart(id: string, opts?: { timeout?: number }): Promise<void>;
  containerKill(id: string, signal?: string): Promise<void>;
  containerPause(id: string): Promise<void>;
  containerUnpause(id: string): Promise<void>;
  containerRemove(id: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void>;
  containerRename(id: string, newName: string): Promise<void>;
  containerList(opts?: { all?: boolean; filters?: Record<string, string[]> }): Promise<ContainerSummary[]>;
  containerInspect(id: string): Promise<ContainerInspect>;
  /** Resolves with the exit code once the container stops. */
  containerWait(id: string): Promise<{ exitCode: number }>;
  /** Past logs, then (with follow) new ones until the container stops or unsubscribe. */
  containerLogs(id: string, opts: LogOptions, onChunk: (c: LogChunk) => void): Promise<void>;
  containerTop(id: string): Promise<TopResult>;
  containerDiff(id: string): Promise<FileChange[]>;
  containerPrune(): Promise<PruneResult>;
  /** Copies out of a container: a tar of the path. */
  containerArchiveGet(id: string, path: string): Promise<Uint8Array>;
  /** Copies into a container: a tar extracted at path. */
  containerArchivePut(id: string, path: string, tar: Uint8Array): Promise<void>;
  /** Attaches to the container's main process; returns a session id. */
  containerAttach(id: string, opts: { stdin?: boolean }, handlers: SessionHandlers): Promise<number>;
  /** Runs a process in a running container; returns a session id. */
  containerExec(id: string, opts: ExecOptions, handlers: SessionHandlers): Promise<number>;
  sessionWrite(session: number, data: Uint8Array | string): Promise<void>;
  sessionCloseStdin(session: number): Promise<void>;
  sessionResize(session: number, rows: number, cols: number): Promise<void>;
  sessionDetach(session: number): Promise<void>;

  // volumes
  volumeCreate(opts: { name?: string; labels?: Record<string, string> }): Promise<VolumeInfo>;
  volumeList(): Promise<VolumeInfo[]>;
  volumeInspect(name: string): Promise<VolumeInfo>;
  volumeRemove(name: string, opts?: { force?: boolean }): Promise<void>;
  volumePrune(opts?: { all?: boolean }): Promise<PruneResult>;

  // networks
  networkCreate(opts: { name: string; internal?: boolean; subnet?: string; labels?: Record<string, string> }): Promise<NetworkInfo>;
  networkList(): Promise<NetworkInfo[]>;
  networkInspect(name: string): Promise<NetworkInfo>;
  networkRemove(name: string): Promise<void>;
  networkConnect(network: string, container: string, opts?: { aliases?: string[] }): Promise<void>;
  networkDisconnect(network: string, container: string, opts?: { force?: boolean }): Promise<void>;
  networkPrune(): Promise<PruneResult>;

  // registries and archives
  /** docker pull: downloads into the store (layers it has are skipped); messages as dockerd sends them. */
  imagePull(ref: string, opts: { platform?: string; allTags?: boolean }, onProgress: (m: ProgressMessage) => void): Promise<PullResult>;
  /** docker push: uploads the tag (or every tag of the repository with allTags). */
  imagePush(ref: string, opts: { allTags?: boolean }, onProgress: (m: ProgressMessage) => void): Promise<PushResult[]>;
  /** docker login: checks the credentials with the registry, then keeps them (never in logs or share links). */
  registryLogin(opts: { server?: string; username: string; password: string }): Promise<{ status: string; server: string }>;
  /** docker logout: forgets the registry's credentials; `server` as docker prints it. */
  registryLogout(server?: string): Promise<{ server: string; removed: boolean }>;
  /** docker save: a tar of the images ("docker": docker-archive + OCI layout, as docker 25 writes; "oci": OCI layout). */
  imageSave(refs: string[], opts?: { format?: "docker" | "oci" }): Promise<Uint8Array>;
  /** docker load: a docker-archive or OCI-layout tar (gzip allowed). */
  imageLoad(tar: Uint8Array): Promise<LoadedImage[]>;
  /** docker import: a filesystem tar (gzip allowed) as a one-layer image; returns the image ID. */
  imageImport(tar: Uint8Array, opts?: { ref?: string; changes?: string[]; message?: string; platform?: string }): Promise<{ id: string }>;
  /** docker export: the container's filesystem as a tar. */
  containerExport(id: string): Promise<Uint8Array>;
}
