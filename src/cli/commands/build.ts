// docker build and docker builder prune.

import type { BuildOptions } from "../../core/engine-api.ts";
import { toBerthError } from "../../core/errors.ts";
import { dockerignoreMatcher } from "../../dockerfile/dockerignore.ts";
import { normalizeReference, parseReference } from "../../registry/reference.ts";
import { BuildProgress, transferLine, type BuildFailure, type ProgressMode } from "../build-progress.ts";
import type { CommandContext, CommandDef } from "../command.ts";
import { CliError, ExitStatus, UsageError } from "../errors.ts";
import { humanSize } from "../format/units.ts";
import { readAllStdin, type BuildContext } from "../io.ts";
import { loadDirectoryContext, localFs } from "../localfs.ts";
import { parseLabels } from "../opts/misc.ts";
import { basename, normalizePath, relativeInside } from "../paths.ts";
import { readTar } from "../tar.ts";
import { boolFlag, confirm, listFlag, localPath, stringFlag, usage } from "./shared.ts";

const validateTag = (v: string) => void parseReference(v);

function isTar(data: Uint8Array): boolean {
  return data.length >= 263 && new TextDecoder().decode(data.subarray(257, 262)) === "ustar";
}

function hasPath(context: BuildContext, p: string): boolean {
  const n = normalizePath(p);
  return context.some((e) => normalizePath(e.path) === n);
}

/** Applies .dockerignore to a context that came from elsewhere (the page's workspace). */
function applyDockerignore(context: BuildContext, dockerfile: string): BuildContext {
  const file = context.find((e) => normalizePath(e.path) === ".dockerignore");
  if (!file) return context;
  const matcher = dockerignoreMatcher(new TextDecoder().decode(file.data));
  return context.filter((e) => {
    const p = normalizePath(e.path);
    return p === ".dockerignore" || p === normalizePath(dockerfile) || !matcher.ignores(p);
  });
}

interface LoadedContext {
  context: BuildContext;
  dockerfile: string;
}

async function loadBuildContext(ctx: CommandContext, source: string, fileFlag: string): Promise<LoadedContext> {
  const io = ctx.io;
  if (/^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(source)) throw new CliError(`unable to prepare context: remote build contexts (${source}) are not supported here`);
  let context: BuildContext;
  let dockerfile = "Dockerfile";
  let stdinUsed = false;
  if (source === "-") {
    if (fileFlag === "-") throw new CliError("invalid argument: can't use stdin for both build context and dockerfile");
    stdinUsed = true;
    const data = await readAllStdin(io);
    if (isTar(data)) {
      context = readTar(data)
        .filter((e) => e.type === "file")
        .map((e) => ({ path: e.path, data: e.data!, mode: e.mode, mtime: e.mtime * 1000 }));
    } else {
      context = [{ path: "Dockerfile", data, mode: 0o644 }];
      if (fileFlag) throw new CliError("unable to prepare context: -f cannot be used when the Dockerfile comes from stdin");
      return { context, dockerfile };
    }
  } else {
    const dir = localPath(ctx, source);
    const fileRel = fileFlag && fileFlag !== "-" ? relativeInside(dir, localPath(ctx, fileFlag)) : null;
    const wanted = fileRel ?? (fileFlag && fileFlag !== "-" ? fileFlag : "Dockerfile");
    context = io.loadContext ? await io.loadContext(dir) : await loadDirectoryContext(localFs(io, "build"), dir, wanted);
  }
  if (fileFlag === "-") {
    if (stdinUsed) throw new CliError("invalid argument: can't use stdin for both build context and dockerfile");
    const data = await readAllStdin(io);
    dockerfile = hasPath(context, "Dockerfile.stdin") ? ".berth.Dockerfile.stdin" : "Dockerfile.stdin";
    context = [...context, { path: dockerfile, data, mode: 0o644 }];
  } else if (fileFlag) {
    const dir = source === "-" ? "" : localPath(ctx, source);
    const rel = dir ? relativeInside(dir, localPath(ctx, fileFlag)) : null;
    if (rel !== null && hasPath(context, rel)) dockerfile = normalizePath(rel);
    else if (hasPath(context, fileFlag)) dockerfile = normalizePath(fileFlag);
    else if (io.readFile) {
      // A Dockerfile outside the context: send it along under its own name.
      let data: Uint8Array;
      try {
        data = await io.readFile(localPath(ctx, fileFlag));
      } catch {
        throw new CliError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${localPath(ctx, fileFlag)}: no such file or directory`);
      }
      const name = basename(fileFlag);
      dockerfile = hasPath(context, name) ? `.berth.${name}` : name;
      context = [...context, { path: dockerfile, data, mode: 0o644 }];
    } else {
      throw new CliError(`unable to prepare context: the Dockerfile (${fileFlag}) cannot be found`);
    }
  } else if (!hasPath(context, "Dockerfile")) {
    if (hasPath(context, "dockerfile")) dockerfile = "dockerfile";
    else throw new CliError("failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory");
  }
  return { context: applyDockerignore(context, dockerfile), dockerfile };
}

function progressMode(ctx: CommandContext): ProgressMode {
  if (ctx.flags.bool("quiet")) return "quiet";
  const p = ctx.flags.string("progress");
  switch (p) {
    case "auto":
    case "":
      return ctx.io.isTTY ? "tty" : "plain";
    case "plain":
    case "tty":
    case "quiet":
    case "rawjson":
      return p;
    default:
      throw new UsageError(`invalid progress mode "${p}": use auto, plain, tty, quiet or rawjson`);
  }
}

async function buildCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const mode = progressMode(ctx);
  const tags = f.list("tag");
  const buildArgs: Record<string, string> = {};
  for (const a of f.list("build-arg")) {
    const eq = a.indexOf("=");
    if (eq === 0) throw new UsageError(`invalid build-arg: ${a}`);
    if (eq > 0) buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
    else if (ctx.io.env?.[a] !== undefined) buildArgs[a] = ctx.io.env[a]!;
  }
  // As buildx: SOURCE_DATE_EPOCH in the client's environment is a build arg
  // unless one is given (the page's terminals set it to the workspace's).
  const sde = ctx.io.env?.SOURCE_DATE_EPOCH;
  if (sde && !("SOURCE_DATE_EPOCH" in buildArgs)) buildArgs.SOURCE_DATE_EPOCH = sde;
  const labels = usage(() => parseLabels(f.list("label")));

  const loaded = await loadBuildContext(ctx, ctx.args[0]!, f.string("file"));
  const opts: BuildOptions = { context: loaded.context };
  if (loaded.dockerfile !== "Dockerfile") opts.dockerfile = loaded.dockerfile;
  if (tags.length) opts.tags = tags;
  if (Object.keys(buildArgs).length) opts.buildArgs = buildArgs;
  if (f.string("target")) opts.target = f.string("target");
  if (f.bool("no-cache")) opts.noCache = true;
  if (Object.keys(labels).length) opts.labels = labels;
  if (f.string("platform")) opts.platform = f.string("platform");

  const dockerfileEntry = loaded.context.find((e) => normalizePath(e.path) === normalizePath(loaded.dockerfile));
  const dockerfileText = dockerfileEntry ? new TextDecoder().decode(dockerfileEntry.data) : "";
  const contextBytes = loaded.context.reduce((n, e) => n + e.data.length, 0);
  const write = (t: string) => ctx.err(t);
  const progress = new BuildProgress({
    mode: mode === "quiet" ? "quiet" : mode,
    write,
    now: () => ctx.now(),
    ...(ctx.io.columns ? { columns: ctx.io.columns } : {}),
    sources: { [loaded.dockerfile]: dockerfileText, Dockerfile: dockerfileText },
    dockerfile: loaded.dockerfile,
  });
  progress.local(`[internal] load build definition from ${loaded.dockerfile}`, [transferLine("dockerfile", dockerfileEntry?.data.length ?? 0)]);
  progress.local("[internal] load build context", [transferLine("context", contextBytes)]);

  let failure: BuildFailure | undefined;
  try {
    const result = await ctx.engine.build(opts, (e) => {
      if (e.type === "error") {
        failure = { message: e.message, ...(e.file ? { file: e.file } : {}), ...(e.line !== undefined ? { line: e.line } : {}), ...(e.stepId ? { stepId: e.stepId } : {}) };
      }
      progress.event(e);
    });
    const names = (result.tags.length ? result.tags : tags).map((t) => {
      try {
        return normalizeReference(t);
      } catch {
        return t;
      }
    });
    progress.exported(result.imageId, names, 0);
    progress.finish();
    if (mode === "quiet") ctx.out(`${result.imageId}\n`);
    return 0;
  } catch (err) {
    const e = toBerthError(err);
    const reported = failure ?? {
      message: e.message,
      ...(typeof e.details.file === "string" ? { file: e.details.file } : {}),
      ...(typeof e.details.line === "number" ? { line: e.details.line } : {}),
    };
    progress.finish(reported);
    throw new ExitStatus(1);
  }
}

async function builderPruneCommand(ctx: CommandContext): Promise<number> {
  const all = ctx.flags.bool("all");
  const warning = all ? "WARNING! This will remove all build cache." : "WARNING! This will remove all dangling build cache.";
  if (!ctx.flags.bool("force") && !(await confirm(ctx, warning, true))) return 0;
  const result = await ctx.engine.buildCachePrune();
  if (result.deleted.length > 0) ctx.out(`Deleted build cache objects:\n${result.deleted.join("\n")}\n\n`);
  ctx.out(`Total reclaimed space: ${humanSize(result.spaceReclaimed)}\n`);
  return 0;
}

export const buildCommands: CommandDef[] = [
  {
    paths: [["image", "build"], ["build"], ["builder", "build"]],
    usage: "[OPTIONS] PATH | URL | -",
    short: "Build an image from a Dockerfile",
    flags: [
      listFlag("build-arg", undefined, "Set build-time variables"),
      stringFlag("file", "f", "Name of the Dockerfile (Default is 'PATH/Dockerfile')", { complete: "file" }),
      listFlag("label", undefined, "Set metadata for an image"),
      boolFlag("no-cache", undefined, "Do not use cache when building the image"),
      stringFlag("platform", undefined, "Set platform if server is multi-platform capable", { complete: ["linux/386"] }),
      stringFlag("progress", undefined, "Set type of progress output (auto, plain, tty, quiet, rawjson). Use plain to show container output", {
        default: "auto",
        complete: ["auto", "plain", "tty", "quiet", "rawjson"],
      }),
      boolFlag("quiet", "q", "Suppress the build output and print image ID on success"),
      listFlag("tag", "t", "Name and optionally a tag in the 'name:tag' format", { validate: validateTag }),
      stringFlag("target", undefined, "Set the target build stage to build."),
    ],
    args: { min: 1, max: 1 },
    argKinds: ["file"],
    common: true,
    run: buildCommand,
  },
  {
    paths: [["builder", "prune"]],
    usage: "[OPTIONS]",
    short: "Remove build cache",
    flags: [boolFlag("all", "a", "Remove all unused build cache, not just dangling ones"), boolFlag("force", "f", "Do not prompt for confirmation")],
    args: { max: 0 },
    run: builderPruneCommand,
  },
];
