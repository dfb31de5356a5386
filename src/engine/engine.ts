// The daemon: wires storage, the image store, the builder and the guest, and
// publishes events. It runs in the page's Web Worker (IndexedDB storage) and
// in Node (directory or memory storage) for tests and the `berth` command.
import { Builder, type BuilderGuest, type ResolvedImage as BuilderImage } from "../builder/builder.ts";
import { BuildCache } from "../builder/cache.ts";
import type {
  LoadedImage,
  ProgressMessage,
  PullResult,
  PushResult,
  ContainerCreateOptions,
  DiskUsage,
  ExecOptions,
  LogChunk,
  LogOptions,
  SessionHandlers,
  SystemInfo,
  VersionInfo,
  BuildEvent,
  BuildOptions,
  BuildResult,
  EngineEvent,
  FileChange,
  ImageInspect,
  ImageRemoveResult,
  ImageSummary,
  PruneResult,
} from "../core/engine-api.ts";
import type { Storage } from "../core/content.ts";
import { BerthError } from "../core/errors.ts";
import { gunzip, isGzip } from "../core/compress.ts";
import { LayeredView, layerChanges } from "../core/layers.ts";
import { GuestSnapshots } from "../runtime/snapshots.ts";
import type { GuestVM } from "../vm/guest.ts";
import { importBundledImages } from "./bundled.ts";
import { ContainerService, type ContainerNetworking } from "./containers.ts";
import { httpRequest, type HttpRequest, type HttpResponse } from "./http-proxy.ts";
import { type PortPublisher, VirtualPortPublisher } from "./ports.ts";
import { Distribution, type DistributionOptions } from "./distribution.ts";
import { NetworkService } from "./networks.ts";
import { VolumeService } from "./volumes.ts";
import { ImageStore, type LayoutReader } from "./images.ts";

export interface EngineDeps {
  storage: Storage;
  /** Starts the guest; called once, the first time something needs it. */
  startGuest: () => Promise<GuestVM>;
  /** Reads bundled images (public/images/...). */
  bundled?: LayoutReader;
  networking?: ContainerNetworking;
  /** Published ports: real TCP listeners in Node, the service worker's port/<n>/ paths in the page. */
  ports?: PortPublisher;
  /** Registry access: fetch, a CORS proxy for pages, insecure registries. */
  registry?: Omit<DistributionOptions, "images" | "containerArchive" | "publish">;
}

type Subscriber = { fn: (e: EngineEvent) => void; filters?: Record<string, string[]> };

export class Engine {
  readonly images: ImageStore;
  readonly cache: BuildCache;
  readonly volumes: VolumeService;
  readonly containers: ContainerService;
  readonly networks: NetworkService;
  readonly ports: PortPublisher;
  readonly distribution: Distribution;
  private readonly builder: Builder;
  private vmNow: GuestVM | null = null;
  private guestPromise: Promise<BuilderGuest> | null = null;
  private subscribers = new Map<number, Subscriber>();
  private nextSub = 1;
  private ready: Promise<void>;

  constructor(private readonly deps: EngineDeps) {
    this.ports = deps.ports ?? new VirtualPortPublisher();
    const { content, refs } = deps.storage;
    this.images = new ImageStore(content, refs, {
      onEvent: (e) => this.publish({ type: "image", action: e.action, id: e.id, attributes: e.name ? { name: e.name } : {} }),
      containersUsing: (id) => this.containers.usingImage(id),
    });
    this.volumes = new VolumeService(refs, content, (action, name) => this.publish({ type: "volume", action, id: name, attributes: {} }));
    this.networks = new NetworkService(refs, {
      onEvent: (action, n, attributes) => this.publish({ type: "network", action, id: n.id, attributes: { name: n.name, type: n.driver, ...attributes } }),
      vm: () => this.vmNow,
    });
    this.networks.onMembershipChange((ids) => void this.containers.rewriteHosts(ids));
    this.containers = new ContainerService({
      refs,
      content,
      images: this.images,
      volumes: this.volumes,
      guest: () => this.guest(),
      networking: deps.networking ?? this.networks,
      ports: this.ports,
      publish: (action, id, attributes) => this.publish({ type: "container", action, id, attributes }),
    });
    this.cache = new BuildCache(refs, content);
    this.distribution = new Distribution({
      images: this.images,
      ...(deps.registry ?? {}),
      containerArchive: (id) => this.containers.archiveGet(id, "/"),
      publish: (action, id, attributes) => this.publish({ type: "image", action, id, attributes }),
    });
    this.builder = new Builder({
      content,
      cache: this.cache,
      images: {
        // FROM an image the store lacks pulls it, as docker build does.
        resolve: async (ref) => {
          const local = await this.images.find(ref);
          return toBuilderImage(local ?? (await this.distribution.ensureImage(ref)));
        },
        writeImage: async ({ config, layers, tags }) => ({ id: (await this.images.writeImage({ config, layers, tags })).id }),
      },
      guest: () => this.guest(),
    });
    this.ready = deps.bundled ? importBundledImages(this.images, deps.bundled).then(() => {}) : Promise.resolve();
  }

  /** Resolves once bundled images are imported. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** The guest and its snapshots, started on first use. */
  guest(): Promise<BuilderGuest> {
    this.guestPromise ??= this.deps.startGuest().then(
      (vm) => {
        this.vmNow = vm;
        return { vm, snapshots: new GuestSnapshots(vm, this.deps.storage.content) };
      },
      (err) => {
        this.guestPromise = null;
        throw err;
      },
    );
    return this.guestPromise;
  }

  async shutdown(): Promise<void> {
    this.containers.detachAll();
    await this.ports.close();
    if (this.guestPromise) {
      const g = await this.guestPromise.catch(() => null);
      await g?.vm.shutdown();
    }
  }

  // ---------- events ----------

  publish(e: Omit<EngineEvent, "time" | "timeNano">): void {
    const ms = Date.now();
    const event: EngineEvent = { ...e, time: Math.floor(ms / 1000), timeNano: `${BigInt(ms) * 1_000_000n}` };
    for (const s of this.subscribers.values()) {
      if (matchesFilters(event, s.filters)) s.fn(event);
    }
  }

  async subscribe(fn: (e: EngineEvent) => void, filters?: Record<string, string[]>): Promise<number> {
    const id = this.nextSub++;
    this.subscribers.set(id, { fn, filters });
    return id;
  }

  async unsubscribe(id: number): Promise<void> {
    this.subscribers.delete(id);
  }

  // ---------- images ----------

  async imageList(): Promise<ImageSummary[]> {
    await this.ready;
    return (await this.images.list()).map((i) => ({
      id: i.id,
      repoTags: i.repoTags,
      repoDigests: i.repoDigests,
      created: i.created,
      size: i.size,
      containers: i.containers,
    }));
  }

  async imageInspect(ref: string): Promise<ImageInspect> {
    await this.ready;
    return this.images.inspect(ref);
  }

  async imageTag(source: string, target: string): Promise<void> {
    await this.ready;
    await this.images.tag(source, target);
  }

  async imageRemove(ref: string, opts: { force?: boolean } = {}): Promise<ImageRemoveResult[]> {
    await this.ready;
    return this.images.remove(ref, opts);
  }

  /** The files one layer of an image adds, changes and deletes (dive's view). */
  async imageLayerChanges(ref: string, layerIndex: number): Promise<FileChange[]> {
    await this.ready;
    const image = await this.images.resolve(ref);
    const layers = image.manifest.layers;
    if (layerIndex < 0 || layerIndex >= layers.length) {
      throw new BerthError("invalid-argument", `image ${ref} has ${layers.length} layers, there is no layer ${layerIndex}`);
    }
    const view = new LayeredView();
    for (let i = 0; i < layerIndex; i++) view.applyLayer(await this.layerTar(layers[i].digest));
    const tar = await this.layerTar(layers[layerIndex].digest);
    const changes = layerChanges(view, tar);
    const after = view.clone();
    after.applyLayer(tar);
    return changes.map((c) => {
      const e = (c.kind === "D" ? view : after).lookup(c.path, { follow: false });
      return { path: "/" + c.path, kind: c.kind, type: e?.type ?? "file", size: e?.size ?? 0, mode: e?.mode ?? 0 };
    });
  }

  private async layerTar(digest: string): Promise<Uint8Array> {
    const blob = await this.deps.storage.content.get(digest as never);
    return isGzip(blob) ? gunzip(blob) : blob;
  }

  private buildQueue: Promise<unknown> = Promise.resolve();

  async build(opts: BuildOptions, onEvent: (e: BuildEvent) => void): Promise<BuildResult> {
    await this.ready;
    // One build at a time: they share the guest and the cache.
    const run = this.buildQueue.then(() => this.builder.build(opts, onEvent));
    this.buildQueue = run.catch(() => {});
    const result = await run;
    this.publish({ type: "builder", action: "build", id: result.imageId, attributes: { tags: result.tags.join(",") } });
    return result;
  }

  async buildCachePrune(): Promise<PruneResult> {
    return this.cache.prune();
  }

  async imagePrune(opts: { all?: boolean } = {}): Promise<PruneResult> {
    await this.ready;
    const deleted: string[] = [];
    let space = 0;
    for (const img of await this.images.list()) {
      const dangling = img.repoTags.length === 0;
      if (!dangling && !opts.all) continue;
      if ((await this.containers.usingImage(img.id)).length > 0) continue;
      const removed = await this.images.remove(img.id, { force: true }).catch(() => []);
      if (removed.length) {
        deleted.push(img.id);
        space += img.size;
      }
    }
    return { deleted, spaceReclaimed: space };
  }

  // ---------- registries and archives ----------

  async imagePull(ref: string, opts: { platform?: string; allTags?: boolean }, onProgress: (m: ProgressMessage) => void): Promise<PullResult> {
    await this.ready;
    return this.distribution.pull(ref, opts, onProgress);
  }
  async imagePush(ref: string, opts: { allTags?: boolean }, onProgress: (m: ProgressMessage) => void): Promise<PushResult[]> {
    await this.ready;
    return this.distribution.push(ref, opts, onProgress);
  }
  registryLogin(opts: { server?: string; username: string; password: string }) {
    return this.distribution.login(opts);
  }
  registryLogout(server?: string) {
    return this.distribution.logout(server);
  }
  async imageSave(refs: string[], opts?: { format?: "docker" | "oci" }): Promise<Uint8Array> {
    await this.ready;
    return this.distribution.save(refs, opts);
  }
  async imageLoad(tar: Uint8Array): Promise<LoadedImage[]> {
    await this.ready;
    return this.distribution.load(tar);
  }
  async imageImport(tar: Uint8Array, opts?: { ref?: string; changes?: string[]; message?: string; platform?: string }) {
    await this.ready;
    return this.distribution.import(tar, opts);
  }
  containerExport(id: string): Promise<Uint8Array> {
    return this.distribution.export(id);
  }

  // ---------- containers ----------

  async containerCreate(opts: ContainerCreateOptions) {
    await this.ready;
    return this.containers.create(opts);
  }
  containerStart(id: string) {
    return this.containers.start(id);
  }
  containerStop(id: string, opts?: { timeout?: number; signal?: string }) {
    return this.containers.stop(id, opts);
  }
  containerRestart(id: string, opts?: { timeout?: number }) {
    return this.containers.restart(id, opts);
  }
  containerKill(id: string, signal?: string) {
    return this.containers.kill(id, signal);
  }
  containerPause(id: string) {
    return this.containers.pause(id);
  }
  containerUnpause(id: string) {
    return this.containers.unpause(id);
  }
  containerRemove(id: string, opts?: { force?: boolean; volumes?: boolean }) {
    return this.containers.remove(id, opts);
  }
  async containerRename(id: string, name: string) {
    const cid = await this.containers.resolveId(id);
    await this.containers.rename(cid, name);
    await this.networks.rename(cid, name.replace(/^\//, ""));
  }
  containerList(opts?: { all?: boolean; filters?: Record<string, string[]> }) {
    return this.containers.list(opts);
  }
  containerInspect(id: string) {
    return this.containers.inspect(id);
  }
  containerWait(id: string) {
    return this.containers.wait(id);
  }
  containerLogs(id: string, opts: LogOptions, onChunk: (c: LogChunk) => void) {
    return this.containers.logs(id, opts, onChunk);
  }
  containerTop(id: string) {
    return this.containers.top(id);
  }
  containerDiff(id: string) {
    return this.containers.diff(id);
  }
  containerPrune() {
    return this.containers.prune();
  }
  containerArchiveGet(id: string, path: string) {
    return this.containers.archiveGet(id, path);
  }
  containerArchivePut(id: string, path: string, tar: Uint8Array) {
    return this.containers.archivePut(id, path, tar);
  }
  containerAttach(id: string, opts: { stdin?: boolean }, handlers: SessionHandlers) {
    return this.containers.attach(id, opts, handlers);
  }
  containerExec(id: string, opts: ExecOptions, handlers: SessionHandlers) {
    return this.containers.exec(id, opts, handlers);
  }
  sessionWrite(session: number, data: Uint8Array | string) {
    return this.containers.sessionWrite(session, data);
  }
  sessionCloseStdin(session: number) {
    return this.containers.sessionCloseStdin(session);
  }
  sessionResize(session: number, rows: number, cols: number) {
    return this.containers.sessionResize(session, rows, cols);
  }
  sessionDetach(session: number) {
    return this.containers.sessionDetach(session);
  }

  // ---------- volumes ----------

  volumeCreate(opts: { name?: string; labels?: Record<string, string> }) {
    return this.volumes.create(opts);
  }
  volumeList() {
    return this.volumes.list();
  }
  volumeInspect(name: string) {
    return this.volumes.inspect(name);
  }
  volumeRemove(name: string, opts?: { force?: boolean }) {
    return this.volumes.remove(name, opts);
  }
  volumePrune(opts?: { all?: boolean }) {
    return this.volumes.prune(opts);
  }

  /** An HTTP request to a published port (the page's port/<n>/ paths). */
  async httpRequest(hostPort: number, req: HttpRequest): Promise<HttpResponse> {
    const vm = { spawn: async (spec: Parameters<GuestVM["spawn"]>[0]) => (await this.guest()).vm.spawn(spec) };
    return httpRequest(vm, this.ports.map, hostPort, req);
  }

  // ---------- networks ----------

  networkCreate(opts: { name: string; internal?: boolean; subnet?: string; labels?: Record<string, string> }) {
    return this.networks.create(opts);
  }
  networkList() {
    return this.networks.list();
  }
  networkInspect(name: string) {
    return this.networks.inspect(name);
  }
  networkRemove(name: string) {
    return this.networks.remove(name);
  }
  networkPrune() {
    return this.networks.prune();
  }
  async networkConnect(network: string, container: string, opts: { aliases?: string[] } = {}) {
    const info = await this.containers.inspect(container);
    const pid = this.containers.taskPid(info.id);
    const vm = pid ? (await this.guest()).vm : this.vmNow;
    await this.networks.connect(vm, network, info.id, { ...opts, name: info.name, hostname: info.config.hostname, mode: info.config.network }, pid);
  }
  async networkDisconnect(network: string, container: string, opts: { force?: boolean } = {}) {
    const id = await this.containers.resolveId(container);
    await this.networks.disconnect(this.vmNow, network, id, opts);
  }

  // ---------- system ----------

  async version(): Promise<VersionInfo> {
    const g = this.guestPromise ? await this.guestPromise.catch(() => null) : null;
    return {
      version: "0.1.0",
      apiVersion: "1.47",
      os: "linux",
      arch: "386",
      kernelVersion: "6.1",
      guest: g ? { state: g.vm.running ? "running" : "stopped", startMs: Math.round(g.vm.startInfo.ms), mode: g.vm.startInfo.mode } : { state: "stopped" },
    };
  }

  async info(): Promise<SystemInfo> {
    await this.ready;
    const c = this.containers.counts();
    const images = await this.images.list();
    const blobs = await this.deps.storage.content.list();
    return {
      containers: c.total,
      containersRunning: c.running,
      containersPaused: c.paused,
      containersStopped: c.stopped,
      images: images.length,
      kernelVersion: "6.1",
      memTotal: 256 * 1024 * 1024,
      storageUsed: blobs.reduce((n, b) => n + b.size, 0),
    };
  }

  async diskUsage(): Promise<DiskUsage> {
    await this.ready;
    const images = await this.images.list();
    const containers = await this.containers.list({ all: true });
    const volumes = await this.volumes.list();
    const cache = await this.cache.count();
    return {
      images: { count: images.length, size: images.reduce((n, i) => n + i.size, 0) },
      containers: { count: containers.length, size: 0 },
      volumes: { count: volumes.length, size: volumes.reduce((n, v) => n + v.size, 0) },
      buildCache: cache,
    };
  }
}

function toBuilderImage(image: Awaited<ReturnType<ImageStore["resolve"]>>): BuilderImage {
  const diffIds = image.config.rootfs.diff_ids;
  return {
    id: image.id,
    config: image.config,
    layers: image.manifest.layers.map((descriptor, i) => ({ descriptor, diffId: diffIds[i] })),
  };
}

function matchesFilters(e: EngineEvent, filters?: Record<string, string[]>): boolean {
  if (!filters) return true;
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    const have =
      key === "type" ? e.type : key === "event" ? e.action : key === "container" || key === "image" || key === "volume" || key === "network"
        ? (e.type === key ? [e.id, e.attributes.name] : [])
        : e.attributes[key];
    const list = Array.isArray(have) ? have : [have];
    if (!values.some((v) => list.some((h) => h !== undefined && (h === v || h.startsWith(v))))) return false;
  }
  return true;
}
