// The Dockerfile builder: runs a build plan stage by stage. FROM resolves a
// local image (or scratch, or an earlier stage); COPY and ADD make layers in
// JavaScript from the build context or another stage; RUN runs in the guest
// over an overlay of the parent layers and its upper directory becomes the
// layer; metadata instructions only change the config (an empty-layer
// history entry, as Docker writes). Steps are cached by digests of their
// inputs (cache.ts) and reported BuildKit-style as events.
import type { BuildEvent, BuildOptions, BuildResult } from "../core/engine-api.ts";
import type { Digest } from "../core/digest.ts";
import { BerthError, toBerthError } from "../core/errors.ts";
import { gunzip, isGzip } from "../core/compress.ts";
import type { ContentStore } from "../core/content.ts";
import { LayeredView, buildLayer } from "../core/layers.ts";
import type { ContainerConfig, Descriptor, HistoryEntry, ImageConfig } from "../core/oci.ts";
import { type TarEntryInput, readTar } from "../core/tar.ts";
import {
  type BuildPlan,
  type CopyInstruction,
  type AddInstruction,
  type ExpandedStep,
  type Instruction,
  type RunInstruction,
  type Scope,
  type Stage,
  expandFrom,
  expandStage,
  loadDockerfile,
  platformArgs,
  resolveWorkdir,
  runCommand,
  stagesFor,
} from "../dockerfile/index.ts";
import { formatReference, parseReference, withDefaultTag } from "../registry/reference.ts";
import { DEFAULT_PATH, startContainerProcess } from "../runtime/process.ts";
import type { GuestSnapshots, LayerRef } from "../runtime/snapshots.ts";
import { resolveUser, resolveUserIn } from "../runtime/users.ts";
import type { GuestVM } from "../vm/guest.ts";
import { BuildCache } from "./cache.ts";
import { BuildContext, type SourceMatch } from "./context.ts";

export const PLATFORM = "linux/386";
const LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";

export interface ImageLayer {
  descriptor: Descriptor;
  diffId: Digest;
}

export interface ResolvedImage {
  id: Digest;
  config: ImageConfig;
  layers: ImageLayer[];
}

/** What the builder needs of the image store. */
export interface BuilderImages {
  resolve(ref: string): Promise<ResolvedImage>;
  writeImage(args: { config: ImageConfig; layers: ImageLayer[]; tags: string[] }): Promise<{ id: Digest }>;
}

/** The guest, started on demand (a build without RUN never needs it). */
export interface BuilderGuest {
  vm: GuestVM;
  snapshots: GuestSnapshots;
}

export interface BuilderDeps {
  content: ContentStore;
  cache: BuildCache;
  images: BuilderImages;
  guest: () => Promise<BuilderGuest>;
  now?: () => Date;
}

interface StageState {
  layers: ImageLayer[];
  config: ImageConfig;
  /** Cache key of the last filesystem step (or the base). */
  key: string;
  /** A step of this stage (or its base stage) missed the cache. */
  missed: boolean;
  view?: LayeredView;
  scope?: Scope;
  /** CMD was set in this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
}

interface StepName {
  id: string;
  name: string;
}

export class Builder {
  constructor(private readonly deps: BuilderDeps) {}

  /** SOURCE_DATE_EPOCH of the build running now (seconds), for reproducible images. */
  private epoch: number | null = null;

  async build(opts: BuildOptions, emit: (e: BuildEvent) => void): Promise<BuildResult> {
    const t0 = Date.now();
    const file = opts.dockerfile ?? "Dockerfile";
    // As BuildKit: SOURCE_DATE_EPOCH fixes every timestamp (history, config,
    // file mtimes clamped), so the same inputs give the same image digest.
    const sde = opts.buildArgs?.SOURCE_DATE_EPOCH;
    if (sde !== undefined && !/^\d+$/.test(sde)) {
      throw new BerthError("invalid-argument", `invalid SOURCE_DATE_EPOCH: ${sde} (seconds since 1970 expected)`, { flag: "--build-arg" });
    }
    this.epoch = sde !== undefined ? Number(sde) : null;
    try {
      if (opts.platform && opts.platform !== PLATFORM) {
        throw new BerthError("invalid-argument", `platform ${opts.platform} cannot run here: the guest is ${PLATFORM}`, { flag: "--platform" });
      }
      const dockerfile = opts.context.find((f) => f.path.replace(/^\.?\/+/, "") === file.replace(/^\.?\/+/, ""));
      if (!dockerfile) {
        throw new BerthError("not-found", `failed to read dockerfile: open ${file}: no such file or directory`, { file });
      }
      const plan = loadDockerfile(new TextDecoder().decode(dockerfile.data), { file });
      const context = new BuildContext(opts.context, { dockerfile: file });
      const needed = stagesFor(plan, opts.target);
      const names = this.stepNames(plan, needed);
      emit({ type: "plan", steps: [...names.values()].flat().map((n) => ({ ...n, stage: n.id.split(":")[0] })) });

      const results = new Map<number, StageState>();
      let last: StageState | undefined;
      for (const stage of needed) {
        last = await this.buildStage(plan, stage, names.get(stage.index)!, results, context, opts, emit, file);
        results.set(stage.index, last);
      }
      const final = last!;
      const config = this.finalConfig(final, opts);
      const tags = opts.tags ?? [];
      const { id } = await this.deps.images.writeImage({ config, layers: final.layers, tags });
      const durationMs = Date.now() - t0;
      emit({ type: "done", imageId: id, tags, durationMs });
      return { imageId: id, tags };
    } catch (err) {
      const e = toBerthError(err);
      emit({ type: "error", message: e.message, file: e.details.file as string | undefined, line: e.details.line, exitCode: e.details.exitCode as number | undefined });
      throw e;
    }
  }

  /** BuildKit-style names: "[2/5] RUN ...", or "[build 2/5] RUN ..." with several stages. */
  private stepNames(plan: BuildPlan, stages: Stage[]): Map<number, StepName[]> {
    const out = new Map<number, StepName[]>();
    const multi = stages.length > 1 || plan.stages.length > 1;
    for (const stage of stages) {
      const fsSteps = [stage.from, ...stage.instructions.filter(isFilesystemStep)];
      const label = stage.name ?? `stage-${stage.index}`;
      out.set(
        stage.index,
        fsSteps.map((ins, i) => ({
          id: `${label}:${i}`,
          name: `[${multi ? `${label} ` : ""}${i + 1}/${fsSteps.length}] ${displayInstruction(ins)}`,
        })),
      );
    }
    return out;
  }

  private async buildStage(
    plan: BuildPlan,
    stage: Stage,
    names: StepName[],
    results: Map<number, StageState>,
    context: BuildContext,
    opts: BuildOptions,
    emit: (e: BuildEvent) => void,
    file: string,
  ): Promise<StageState> {
    const builtin = platformArgs(PLATFORM);
    const expandOpts = { buildArgs: opts.buildArgs, builtinArgs: builtin, file };
    const { from, base } = expandFrom(plan, stage, expandOpts);
    let stepIndex = 0;
    const fromName = names[stepIndex++];

    // --- FROM ---
    const tFrom = Date.now();
    // BuildKit names the base by its full reference.
    const fromLabel = base.kind === "image" ? fullName(base.ref) : base.kind === "stage" ? base.name : "scratch";
    fromName.name = fromName.name.replace(/\] .*$/, `] FROM ${fromLabel}`);
    emit({ type: "step", id: fromName.id, name: fromName.name, status: "running" });
    let state: StageState;
    if (base.kind === "scratch") {
      state = { layers: [], config: emptyConfig(), key: "scratch", missed: false, cmdSet: false };
    } else if (base.kind === "stage") {
      const prev = results.get(base.index)!;
      state = { ...prev, cmdSet: false };
    } else {
      if (from.platform && from.platform !== PLATFORM) {
        throw located(new BerthError("invalid-argument", `platform ${from.platform} cannot run here: the guest is ${PLATFORM}`), file, stage.from);
      }
      let image: ResolvedImage;
      try {
        image = await this.deps.images.resolve(base.ref);
      } catch (err) {
        const e = toBerthError(err);
        throw located(new BerthError(e.kind, `failed to resolve source metadata for ${fullName(base.ref)}: ${e.message}`, e.details), file, stage.from);
      }
      state = { layers: image.layers, config: image.config, key: image.id, missed: false, cmdSet: false };
    }
    emit({ type: "step", id: fromName.id, name: fromName.name, status: "done", durationMs: Date.now() - tFrom });

    const baseScope = scopeFromConfig(state.config);
    const expanded = expandStage(plan, stage, { ...expandOpts, base: base.kind === "stage" ? results.get(base.index)!.scope : baseScope });
    for (const step of expanded.steps) {
      const ins = step.instruction;
      if (isFilesystemStep(ins)) {
        const name = names[stepIndex++];
        state = await this.filesystemStep(state, step, name, results, plan, context, opts, emit, file, expanded.proxyArgs);
      } else {
        state = applyMetadata(state, step, this.now());
      }
    }
    state.scope = expanded.final;
    return state;
  }

  private now(): Date {
    if (this.epoch !== null) return new Date(this.epoch * 1000);
    return this.deps.now?.() ?? new Date();
  }

  private async filesystemStep(
    state: StageState,
    step: ExpandedStep,
    name: StepName,
    results: Map<number, StageState>,
    plan: BuildPlan,
    context: BuildContext,
    opts: BuildOptions,
    emit: (e: BuildEvent) => void,
    file: string,
    proxyArgs: Record<string, string>,
  ): Promise<StageState> {
    const ins = step.instruction as RunInstruction | CopyInstruction | AddInstruction;
    const t0 = Date.now();
    const cache = this.deps.cache;
    emit({ type: "step", id: name.id, name: name.name, status: "running" });
    try {
      // What goes into the key, besides the parent.
      let keyText: string;
      let files: Record<string, string> | undefined;
      let filesDigest: string | undefined;
      let copyPlan: CopyPlan | undefined;
      if (ins.keyword === "RUN") {
        const run = runCommand(ins, step.scope.shell);
        keyText = JSON.stringify({ run: run.args, file: run.file ?? null, env: runEnv(step.scope, proxyArgs, false), workdir: step.scope.workdir, user: step.scope.user, mounts: ins.mounts.map((m) => m.raw), network: ins.network });
      } else {
        copyPlan = await this.planCopy(state, ins, step.scope, results, plan, context, file);
        const sums = await BuildContext.checksum(copyPlan.matches);
        files = sums.files;
        filesDigest = sums.digest;
        keyText = JSON.stringify({ ins: ins.keyword, sources: ins.sources.map(describeSource), dest: copyPlan.dest, chown: ins.chown, chmod: ins.chmod, from: copyPlan.fromKey, link: ins.link, exclude: ins.exclude });
      }
      const display = displayInstruction(ins);
      if (this.epoch !== null) keyText = JSON.stringify({ step: JSON.parse(keyText), sourceDateEpoch: this.epoch });
      const key = await cache.key(state.key, keyText, filesDigest);
      const hit = opts.noCache ? undefined : await cache.get(key);
      const created = this.now().toISOString();
      if (hit?.layer) {
        emit({ type: "step", id: name.id, name: name.name, status: "cached", durationMs: Date.now() - t0 });
        return this.withLayer(state, hit.layer, key, historyFor(ins, step.scope, hit.created));
      }
      const env = ins.keyword === "RUN" ? runEnv(step.scope, proxyArgs, false) : undefined;
      const reason = opts.noCache ? "--no-cache" : await cache.explainMiss(state.key, { instruction: keyText, display, env, files }, state.missed);
      emit({ type: "step", id: name.id, name: name.name, status: "running", cacheMiss: reason });

      const layer =
        ins.keyword === "RUN"
          ? await this.run(state, ins, step.scope, proxyArgs, name, emit, file)
          : await this.copy(state, ins, copyPlan!, step.scope);
      await cache.put({ key, parent: state.key, instruction: keyText, display, env, files, layer, config: state.config, created });
      emit({ type: "step", id: name.id, name: name.name, status: "done", durationMs: Date.now() - t0, cacheMiss: reason });
      return { ...this.withLayer(state, layer, key, historyFor(ins, step.scope, created)), missed: true };
    } catch (err) {
      const e = toBerthError(err);
      emit({ type: "step", id: name.id, name: name.name, status: "failed", durationMs: Date.now() - t0, error: e.message });
      throw located(e, file, ins);
    }
  }

  private withLayer(state: StageState, layer: { digest: Digest; diffId: Digest; size: number; mediaType: string }, key: string, history: HistoryEntry): StageState {
    const descriptor: Descriptor = { mediaType: layer.mediaType, digest: layer.digest, size: layer.size };
    const config: ImageConfig = {
      ...state.config,
      rootfs: { type: "layers", diff_ids: [...state.config.rootfs.diff_ids, layer.diffId] },
      history: [...(state.config.history ?? []), history],
    };
    return { ...state, layers: [...state.layers, { descriptor, diffId: layer.diffId }], config, key, view: undefined };
  }

  // ---------- RUN ----------

  private async run(
    state: StageState,
    ins: RunInstruction,
    scope: Scope,
    proxyArgs: Record<string, string>,
    name: StepName,
    emit: (e: BuildEvent) => void,
    file: string,
  ) {
    const { vm, snapshots } = await this.deps.guest();
    const layers: LayerRef[] = state.layers.map((l) => ({ digest: l.descriptor.digest, diffId: l.diffId, mediaType: l.descriptor.mediaType }));
    const snap = await snapshots.prepare(layers, { init: true });
    let keep = false;
    try {
      const user = await resolveUserIn(vm, snap.merged, scope.user);
      const workdir = scope.workdir || "/";
      await vm.mkdir(`${snap.merged}${workdir}`, { parents: true });
      const cmd = runCommand(ins, scope.shell);
      if (cmd.file) {
        // A heredoc script with a #! line: BuildKit hands it over as a file.
        await vm.mkdir(`${snap.dir}/pipes`, { parents: true });
        await vm.writeFile(`${snap.dir}/pipes/${cmd.file.path.split("/").pop()}`, cmd.file.content, cmd.file.mode);
      }
      const proc = await startContainerProcess(vm, {
        rootfs: snap.merged,
        argv: cmd.args,
        env: runEnv(scope, proxyArgs, true),
        cwd: workdir,
        uid: user.uid,
        gid: user.gid,
        groups: user.groups,
        hostname: "buildkitsandbox",
        mounts: cmd.file ? [{ source: `${snap.dir}/pipes`, target: "/dev/pipes", bind: true }] : [],
      });
      const dec = { stdout: new TextDecoder(), stderr: new TextDecoder() };
      proc.onStdout((d) => emit({ type: "log", id: name.id, stream: "stdout", data: dec.stdout.decode(d, { stream: true }) }));
      proc.onStderr((d) => emit({ type: "log", id: name.id, stream: "stderr", data: dec.stderr.decode(d, { stream: true }) }));
      const status = await proc.exited;
      if (status.exitCode !== 0) {
        const shown = cmd.args.join(" ");
        throw new BerthError("guest", `process "${shown}" did not complete successfully: exit code: ${status.exitCode}`, {
          file,
          line: ins.range.start.line,
          exitCode: status.exitCode,
        });
      }
      await vm.umount(snap.merged, { detach: true });
      const layer = await snapshots.commit(snap, { clampMtime: this.epoch ?? undefined });
      keep = true;
      return layer;
    } finally {
      if (!keep) await snapshots.remove(snap).catch(() => {});
      else await snapshots.remove(snap).catch(() => {});
    }
  }

  // ---------- COPY / ADD ----------

  private async viewOf(state: StageState): Promise<LayeredView> {
    if (!state.view) {
      const tars: Uint8Array[] = [];
      for (const l of state.layers) {
        const blob = await this.deps.content.get(l.descriptor.digest);
        tars.push(isGzip(blob) ? await gunzip(blob) : blob);
      }
      state.view = LayeredView.fromTars(tars);
    }
    return state.view;
  }

  private async planCopy(
    state: StageState,
    ins: CopyInstruction | AddInstruction,
    scope: Scope,
    results: Map<number, StageState>,
    plan: BuildPlan,
    context: BuildContext,
    file: string,
  ): Promise<CopyPlan> {
    const from = ins.keyword === "COPY" ? ins.from : null;
    const matches: SourceMatch[] = [];
    let fromKey: string | null = null;
    let fromView: LayeredView | null = null;
    if (from) {
      const byName = plan.stages.find((s) => s.name === from.toLowerCase() || String(s.index) === from);
      let src: StageState;
      if (byName) {
        const built = results.get(byName.index);
        if (!built) throw new BerthError("invalid-argument", `stage ${from} has not been built before this COPY`);
        src = built;
      } else {
        const image = await this.deps.images.resolve(from).catch((err) => {
          const e = toBerthError(err);
          throw e.kind === "not-found" ? new BerthError("not-found", `COPY --from=${from}: no such stage or image (pulling is not available yet)`) : e;
        });
        src = { layers: image.layers, config: image.config, key: image.id, missed: false, cmdSet: false };
      }
      fromKey = src.key;
      fromView = await this.viewOf(src);
    }
    for (const source of ins.sources) {
      if (source.kind === "url" || source.kind === "git") {
        throw new BerthError(
          "unavailable",
          `${ins.keyword} ${source.url}: fetching from the network is not available here (the guest has no network); download the file into the build context and ${ins.keyword} it from there`,
        );
      }
      if (source.kind === "heredoc") {
        const data = new TextEncoder().encode(source.content);
        const item = { path: source.name, type: "file" as const, mode: 0o644, mtime: 0, data };
        matches.push({ root: item, items: [{ rel: "", item }] });
        continue;
      }
      if (fromView) matches.push(...matchInView(fromView, source.path));
      else matches.push(...context.match(source.path));
    }
    let dest = ins.dest;
    const workdir = scope.workdir || "/";
    dest = dest.startsWith("/") ? dest : resolveWorkdir(workdir, dest) + (dest.endsWith("/") || dest === "." ? "/" : "");
    void file;
    return { matches, dest, fromKey };
  }

  private async copy(state: StageState, ins: CopyInstruction | AddInstruction, plan: CopyPlan, scope: Scope) {
    const view = state.layers.length ? await this.viewOf(state) : new LayeredView();
    let uid = 0;
    let gid = 0;
    if (ins.chown) {
      const text = (p: string) => (view.exists(p) ? view.readText(p) : null);
      const u = resolveUser(ins.chown, text("etc/passwd"), text("etc/group"));
      uid = u.uid;
      gid = u.gid;
    }
    const chmod = ins.chmod ? parseInt(ins.chmod, 8) : undefined;
    const entries = new Map<string, TarEntryInput>();
    const destPath = plan.dest.replace(/\/+$/, "") || "/";
    const existing = view.lookup(destPath, { follow: true });
    const destIsDir = plan.dest.endsWith("/") || plan.matches.length > 1 || plan.matches.some((m) => m.root.type === "dir") || existing?.type === "dir";
    if (plan.matches.length > 1 && !plan.dest.endsWith("/") && existing?.type !== "dir") {
      throw new BerthError("invalid-argument", `When using ${ins.keyword} with more than one source file, the destination must be a directory and end with a /`);
    }
    const put = (path: string, e: Omit<TarEntryInput, "path">) => entries.set(path.replace(/^\/+/, ""), { path: path.replace(/^\/+/, ""), ...e });
    for (const m of plan.matches) {
      const isArchive = ins.keyword === "ADD" && m.root.type === "file" && ins.unpack !== false && looksLikeTar(m.root.data!);
      if (isArchive) {
        const tar = isGzip(m.root.data!) ? await gunzip(m.root.data!) : m.root.data!;
        for (const e of readTar(tar)) {
          if (!e.path) continue;
          put(`${destPath}/${e.path}`, { ...e, linkname: e.type === "hardlink" ? `${destPath}/${e.linkname}`.replace(/^\/+/, "") : e.linkname });
        }
        continue;
      }
      for (const { rel, item } of m.items) {
        let target: string;
        if (m.root.type === "file") target = destIsDir ? `${destPath}/${basename(m.root.path)}` : destPath;
        else target = rel ? `${destPath}/${rel}` : destPath;
        if (target === "/" ) continue;
        put(target, {
          type: item.type === "dir" ? "dir" : item.type === "symlink" ? "symlink" : "file",
          mode: chmod ?? item.mode,
          uid: ins.chown ? uid : 0,
          gid: ins.chown ? gid : 0,
          mtime: this.epoch !== null ? Math.min(item.mtime ?? 0, this.epoch) : (item.mtime ?? 0),
          data: item.type === "file" ? item.data : undefined,
          linkname: item.linkname,
        });
      }
    }
    // Parent directories keep what the image has (a /tmp stays 1777).
    for (const path of [...entries.keys()]) {
      const parts = path.split("/");
      for (let i = 1; i < parts.length; i++) {
        const parent = parts.slice(0, i).join("/");
        if (entries.has(parent)) continue;
        const have = view.lookup(parent, { follow: false });
        entries.set(parent, have && have.type === "dir"
          ? { path: parent, type: "dir", mode: have.mode, uid: have.uid, gid: have.gid, mtime: have.mtime }
          : { path: parent, type: "dir", mode: 0o755, mtime: 0 });
      }
    }
    void scope;
    const built = await buildLayer(entries.values());
    const w = await this.deps.content.ingest({ digest: built.digest, size: built.size });
    try {
      await w.write(built.gz);
      await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
    return { digest: built.digest, diffId: built.diffId, size: built.size, mediaType: LAYER_MEDIA_TYPE };
  }

  private finalConfig(state: StageState, opts: BuildOptions): ImageConfig {
    const labels = { ...(state.config.config?.Labels ?? {}), ...(opts.labels ?? {}) };
    const config: ContainerConfig = { ...state.config.config, ...(Object.keys(labels).length ? { Labels: labels } : {}) };
    return {
      ...state.config,
      created: this.now().toISOString(),
      architecture: "386",
      os: "linux",
      config,
    };
  }
}

interface CopyPlan {
  matches: SourceMatch[];
  dest: string;
  fromKey: string | null;
}

// ---------- helpers ----------

function fullName(ref: string): string {
  try {
    return formatReference(withDefaultTag(parseReference(ref)));
  } catch {
    return ref;
  }
}

function isFilesystemStep(ins: Instruction): ins is RunInstruction | CopyInstruction | AddInstruction {
  return ins.keyword === "RUN" || ins.keyword === "COPY" || ins.keyword === "ADD";
}

function displayInstruction(ins: Instruction): string {
  const text = ins.original.replace(/\\\n\s*/g, "").replace(/\s+/g, " ").trim();
  const [kw, ...rest] = text.split(" ");
  const out = `${kw.toUpperCase()} ${rest.join(" ")}`.trim();
  return out.length > 120 ? out.slice(0, 117) + "..." : out;
}

function describeSource(s: CopyInstruction["sources"][number]): string {
  return s.kind === "path" ? s.path : s.kind === "heredoc" ? `<<${s.name}:${s.content}` : s.url;
}

function basename(p: string): string {
  return p.split("/").filter(Boolean).pop() ?? p;
}

function looksLikeTar(data: Uint8Array): boolean {
  if (isGzip(data)) return true;
  if (data.length < 512) return false;
  const magic = new TextDecoder().decode(data.subarray(257, 262));
  return magic === "ustar";
}

function located(err: BerthError, file: string, ins: { range: { start: { line: number; column: number } } }): BerthError {
  const line = ins.range.start.line;
  const message = err.message.startsWith(`${file}:`) ? err.message : `${file}:${line}: ${err.message}`;
  return new BerthError(err.kind, message, { ...err.details, file, line }, { cause: err });
}

function emptyConfig(): ImageConfig {
  return { architecture: "386", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [] }, history: [] };
}

function scopeFromConfig(config: ImageConfig): Partial<Scope> {
  const env: Record<string, string> = {};
  for (const kv of config.config?.Env ?? []) {
    const i = kv.indexOf("=");
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return {
    env,
    workdir: config.config?.WorkingDir || "/",
    user: config.config?.User ?? "",
    shell: config.config?.Shell ? [...config.config.Shell] : ["/bin/sh", "-c"],
  };
}

/** The environment a RUN sees: image env, then ARGs in scope, then proxy args. */
function runEnv(scope: Scope, proxyArgs: Record<string, string>, withDefaultPath: boolean): string[] {
  const env: Record<string, string> = { ...scope.args, ...scope.env };
  for (const [k, v] of Object.entries(proxyArgs)) if (!(k in env)) env[k] = v;
  const list = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  if (withDefaultPath && !("PATH" in env)) list.unshift(DEFAULT_PATH);
  return list.sort();
}

function historyFor(ins: Instruction, scope: Scope, created: string): HistoryEntry {
  let createdBy: string;
  if (ins.keyword === "RUN") {
    const cmd = runCommand(ins, scope.shell);
    const args = Object.entries(scope.args).map(([k, v]) => `${k}=${v}`);
    createdBy = `RUN ${args.length ? `|${args.length} ${args.join(" ")} ` : ""}${cmd.args.join(" ")} # buildkit`;
  } else {
    createdBy = `${displayInstruction(ins)} # buildkit`;
  }
  return { created, created_by: createdBy, comment: "buildkit.dockerfile.v0" };
}

function setEnv(list: readonly string[] | undefined, key: string, value: string): string[] {
  const out = (list ?? []).filter((kv) => kv.split("=")[0] !== key);
  out.push(`${key}=${value}`);
  return out;
}

/** Metadata instructions: a new config and an empty-layer history entry. */
function applyMetadata(state: StageState, step: ExpandedStep, now: Date): StageState {
  const ins = step.instruction;
  let c: ContainerConfig = { ...(state.config.config ?? {}) };
  let author = state.config.author;
  let cmdSet = state.cmdSet;
  const command = (cmd: { form: "shell"; script: string } | { form: "exec"; args: string[] }) =>
    cmd.form === "exec" ? [...cmd.args] : [...step.scope.shell, cmd.script];
  switch (ins.keyword) {
    case "ARG":
    case "FROM":
      return state;
    case "ENV": {
      let env = c.Env ? [...c.Env] : [];
      for (const p of ins.pairs) env = setEnv(env, p.key, p.value);
      c = { ...c, Env: env };
      break;
    }
    case "LABEL": {
      const labels = { ...(c.Labels ?? {}) };
      for (const p of ins.pairs) labels[p.key] = p.value;
      c = { ...c, Labels: labels };
      break;
    }
    case "EXPOSE": {
      const ports = { ...(c.ExposedPorts ?? {}) };
      for (const p of ins.ports) ports[p.includes("/") ? p.toLowerCase() : `${p}/tcp`] = {};
      c = { ...c, ExposedPorts: ports };
      break;
    }
    case "WORKDIR":
      c = { ...c, WorkingDir: resolveWorkdir(step.scope.workdir || "/", ins.path) };
      break;
    case "USER":
      c = { ...c, User: ins.value };
      break;
    case "CMD":
      c = { ...c, Cmd: command(ins.command) };
      cmdSet = true;
      break;
    case "ENTRYPOINT":
      c = { ...c, Entrypoint: command(ins.command) };
      // Docker: an ENTRYPOINT resets a CMD inherited from the base image.
      if (!cmdSet) c = { ...c, Cmd: undefined };
      break;
    case "VOLUME": {
      const vols = { ...(c.Volumes ?? {}) };
      for (const p of ins.paths) vols[p] = {};
      c = { ...c, Volumes: vols };
      break;
    }
    case "SHELL":
      c = { ...c, Shell: [...ins.shell] };
      break;
    case "STOPSIGNAL":
      c = { ...c, StopSignal: ins.signal };
      break;
    case "HEALTHCHECK":
      c = {
        ...c,
        Healthcheck: ins.command === null
          ? { Test: ["NONE"] }
          : {
              Test: ins.command.form === "exec" ? ["CMD", ...ins.command.args] : ["CMD-SHELL", ins.command.script],
              ...(ins.interval !== null ? { Interval: ins.interval } : {}),
              ...(ins.timeout !== null ? { Timeout: ins.timeout } : {}),
              ...(ins.startPeriod !== null ? { StartPeriod: ins.startPeriod } : {}),
              ...(ins.startInterval !== null ? { StartInterval: ins.startInterval } : {}),
              ...(ins.retries !== null ? { Retries: ins.retries } : {}),
            },
      };
      break;
    case "ONBUILD":
      c = { ...c, OnBuild: [...(c.OnBuild ?? []), ins.expression] };
      break;
    case "MAINTAINER":
      author = ins.name;
      break;
    default:
      return state;
  }
  const history: HistoryEntry = {
    created: now.toISOString(),
    created_by: `${displayInstruction(ins)}`,
    comment: "buildkit.dockerfile.v0",
    empty_layer: true,
  };
  return {
    ...state,
    cmdSet,
    config: { ...state.config, ...(author ? { author } : {}), config: c, history: [...(state.config.history ?? []), history] },
  };
}

/** Matches a COPY --from source against another stage's or image's files. */
function matchInView(view: LayeredView, source: string): SourceMatch[] {
  const path = source.replace(/^\/+/, "").replace(/\/+$/, "");
  const root = view.lookup(path, { follow: true });
  if (!root) throw new BerthError("not-found", `failed to calculate checksum: "/${path}": not found`);
  const toItem = (e: { path: string; type: string; mode: number; mtime: number; linkname?: string }, data?: Uint8Array) => ({
    path: e.path,
    type: (e.type === "dir" || e.type === "symlink" ? e.type : "file") as "file" | "dir" | "symlink",
    mode: e.mode,
    mtime: e.mtime,
    data,
    linkname: e.linkname,
  });
  const items: SourceMatch["items"] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of view.list(dir)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      items.push({ rel: r, item: toItem(e, e.type === "file" ? view.readFile(e.path) : undefined) });
      if (e.type === "dir") walk(e.path, r);
    }
  };
  if (root.type === "dir") {
    items.push({ rel: "", item: toItem(root) });
    walk(root.path, "");
  } else {
    items.push({ rel: "", item: toItem(root, root.type === "file" ? view.readFile(root.path) : undefined) });
  }
  return [{ root: toItem(root, root.type === "file" ? view.readFile(root.path) : undefined), items }];
}
