// run, create, start, attach, exec: the commands that make containers and
// stream to them.

import type { ContainerCreateOptions, MountRequest, PortBinding } from "../../core/engine-api.ts";
import { toBerthError } from "../../core/errors.ts";
import { familiarString, parseReference, withDefaultTag } from "../../registry/reference.ts";
import type { CommandContext, CommandDef } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import type { FlagSpec } from "../flags.ts";
import { toText } from "../io.ts";
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from "../opts/mounts.ts";
import { DEFAULT_DETACH_KEYS, parseDetachKeys, parseEnvFile, parseLabels, parseRestartPolicy, resolveEnv } from "../opts/misc.ts";
import { parsePublish } from "../opts/ports.ts";
import { parseBytes } from "../format/units.ts";
import { ProgressPrinter } from "../progress.ts";
import { runSession } from "../session.ts";
import { boolFlag, daemonMessage, envLookup, intFlag, listFlag, localPath, readLocalFile, stringFlag, usage } from "./shared.ts";

const validateBytes = (v: string) => void parseBytes(v);
const validateMount = (v: string) => void parseMountFlag(v);
const validateAttach = (v: string) => {
  if (!["stdin", "stdout", "stderr"].includes(v.toLowerCase())) throw new Error("valid streams are STDIN, STDOUT and STDERR");
};
const validateDetachKeys = (v: string) => void parseDetachKeys(v);

/** Flags shared by run and create (docker's container options). */
export const CONTAINER_FLAGS: FlagSpec[] = [
  listFlag("attach", "a", "Attach to STDIN, STDOUT or STDERR", { validate: validateAttach, complete: ["STDIN", "STDOUT", "STDERR"] }),
  stringFlag("entrypoint", undefined, "Overwrite the default ENTRYPOINT of the image"),
  listFlag("env", "e", "Set environment variables"),
  listFlag("env-file", undefined, "Read in a file of environment variables", { complete: "file" }),
  stringFlag("hostname", "h", "Container host name"),
  boolFlag("interactive", "i", "Keep STDIN open even if not attached"),
  listFlag("label", "l", "Set meta data on a container"),
  stringFlag("memory", "m", "Memory limit", { typeName: "bytes", validate: validateBytes }),
  listFlag("mount", undefined, "Attach a filesystem mount to the container", { typeName: "mount", validate: validateMount }),
  stringFlag("name", undefined, "Assign a name to the container"),
  stringFlag("network", undefined, "Connect a container to a network", { typeName: "network", aliases: ["net"], complete: "network" }),
  listFlag("network-alias", undefined, "Add network-scoped alias for the container", { aliases: ["net-alias"] }),
  intFlag("pids-limit", undefined, "Tune container pids limit (set -1 for unlimited)"),
  stringFlag("pull", undefined, 'Pull image before running ("always", "missing", "never")', { default: "missing", complete: ["always", "missing", "never"] }),
  listFlag("publish", "p", "Publish a container's port(s) to the host"),
  boolFlag("publish-all", "P", "Publish all exposed ports to random ports"),
  boolFlag("read-only", undefined, "Mount the container's root filesystem as read only"),
  stringFlag("restart", undefined, "Restart policy to apply when a container exits", { default: "no", complete: ["no", "always", "on-failure", "unless-stopped"] }),
  boolFlag("rm", undefined, "Automatically remove the container and its associated anonymous volumes when it exits"),
  stringFlag("stop-signal", undefined, "Signal to stop the container"),
  intFlag("stop-timeout", undefined, "Timeout (in seconds) to stop a container"),
  listFlag("tmpfs", undefined, "Mount a tmpfs directory"),
  boolFlag("tty", "t", "Allocate a pseudo-TTY"),
  stringFlag("user", "u", "Username or UID (format: <name|uid>[:<group|gid>])"),
  listFlag("volume", "v", "Bind mount a volume", { complete: "volume" }),
  stringFlag("workdir", "w", "Working directory inside the container"),
];

const RUN_FLAGS: FlagSpec[] = [
  ...CONTAINER_FLAGS,
  boolFlag("detach", "d", "Run container in background and print container ID"),
  stringFlag("detach-keys", undefined, "Override the key sequence for detaching a container", { validate: validateDetachKeys }),
  boolFlag("sig-proxy", undefined, "Proxy received signals to the process", { default: true }),
];

const IMAGE_ID = /^(sha256:)?[a-f0-9]{6,64}$/;

/** Builds ContainerCreateOptions from run/create flags. Throws UsageError for bad values. */
export async function containerOptions(ctx: CommandContext, forRun: boolean): Promise<ContainerCreateOptions> {
  const f = ctx.flags;
  const [image, ...cmd] = ctx.args as [string, ...string[]];
  if (!IMAGE_ID.test(image)) usage(() => parseReference(image));
  const opts: ContainerCreateOptions = { image };
  if (cmd.length > 0) opts.cmd = cmd;
  if (f.string("name")) opts.name = f.string("name");

  const lookup = envLookup(ctx);
  const env: string[] = [];
  for (const file of f.list("env-file")) {
    const text = toText(await readLocalFile(ctx, file));
    env.push(...usage(() => parseEnvFile(text, lookup, file)));
  }
  for (const e of f.list("env")) env.push(usage(() => resolveEnv(e, lookup)));
  if (env.length > 0) opts.env = env;

  if (f.changed("entrypoint")) opts.entrypoint = f.string("entrypoint") === "" ? [""] : [f.string("entrypoint")];
  if (f.string("workdir")) {
    if (!f.string("workdir").startsWith("/")) throw new UsageError(`the working directory '${f.string("workdir")}' is invalid, it needs to be an absolute path`);
    opts.workingDir = f.string("workdir");
  }
  if (f.string("user")) opts.user = f.string("user");
  if (f.string("hostname")) opts.hostname = f.string("hostname");
  if (f.bool("tty")) opts.tty = true;

  const attach = f.list("attach").map((s) => s.toLowerCase());
  const detach = forRun && f.bool("detach");
  if (detach && attach.length > 0) throw new UsageError("Conflicting options: -a and -d");
  if (f.bool("interactive")) {
    opts.openStdin = true;
    if (forRun && !detach) opts.stdinOnce = true;
  } else if (attach.includes("stdin")) {
    opts.openStdin = true;
    if (forRun) opts.stdinOnce = true;
  }

  const mounts: MountRequest[] = [];
  const resolve = (p: string) => localPath(ctx, p);
  for (const v of f.list("volume")) mounts.push(usage(() => parseVolumeFlag(v, resolve)));
  for (const m of f.list("mount")) mounts.push(usage(() => parseMountFlag(m, resolve)));
  for (const t of f.list("tmpfs")) mounts.push(usage(() => parseTmpfsFlag(t)));
  const targets = new Set<string>();
  for (const m of mounts) {
    const t = m.target.replace(/\/+$/, "");
    if (targets.has(t)) throw new UsageError(`Duplicate mount point: ${t}`);
    targets.add(t);
  }
  if (mounts.length > 0) opts.mounts = mounts;

  const ports: PortBinding[] = [];
  for (const p of f.list("publish")) ports.push(...usage(() => parsePublish(p)));
  if (ports.length > 0) opts.ports = ports;
  if (f.bool("publish-all")) opts.publishAll = true;

  if (f.string("network")) opts.network = f.string("network");
  if (f.list("network-alias").length > 0) opts.networkAliases = f.list("network-alias");

  const restart = usage(() => parseRestartPolicy(f.string("restart")));
  if (f.changed("restart")) opts.restartPolicy = restart;
  if (f.bool("rm")) {
    if (restart.name !== "no") throw new UsageError("Conflicting options: --restart and --rm");
    opts.autoRemove = true;
  }
  if (f.string("memory")) opts.memory = parseBytes(f.string("memory"));
  if (f.changed("pids-limit")) opts.pidsLimit = f.int("pids-limit");
  if (f.bool("read-only")) opts.readOnly = true;
  const labels = usage(() => parseLabels(f.list("label")));
  if (Object.keys(labels).length > 0) opts.labels = labels;
  if (f.string("stop-signal")) opts.stopSignal = f.string("stop-signal");
  if (f.changed("stop-timeout")) opts.stopTimeout = f.int("stop-timeout");
  return opts;
}

/** docker's exit status when a container's process cannot start: 126 not executable, 127 not found, else 125. */
export function startFailureStatus(err: unknown): number {
  const msg = (err instanceof Error ? err.message : String(err)).toLowerCase();
  if (msg.includes("executable file not found") || msg.includes("no such file or directory") || msg.includes("command not found")) return 127;
  if (msg.includes("permission denied") || msg.includes("not executable")) return 126;
  return 125;
}

/** "docker: <message>." as docker reports run/create failures (status 125 unless said otherwise). */
function report(ctx: CommandContext, message: string, withHelp: boolean, status: number): CliError {
  let text = `docker: ${message.replace(/\.$/, "")}.`;
  if (withHelp) text += `\nSee '${ctx.path} --help'.`;
  return new CliError(text, status);
}

/** Pulls the image for run/create, with the pull's output on stderr as docker prints it. */
async function pullForCreate(ctx: CommandContext, image: string): Promise<void> {
  const progress = new ProgressPrinter((t) => ctx.err(t), ctx.io.isTTY, ctx.io.columns ?? 80);
  try {
    await ctx.engine.imagePull(image, {}, (m) => progress.message(m));
  } catch (err) {
    throw report(ctx, daemonMessage(err), true, 125);
  }
}

/**
 * Creates the container. Like the docker CLI: with --pull=missing (the
 * default) an image the engine does not have is pulled ("Unable to find
 * image 'x:latest' locally") and the create tried again; --pull=always pulls
 * first; --pull=never only reports it missing.
 */
async function create(ctx: CommandContext, opts: ContainerCreateOptions): Promise<string> {
  const policy = ctx.flags.string("pull") || "missing";
  if (!["always", "missing", "never"].includes(policy)) {
    throw report(ctx, `invalid pull option: '${policy}': must be one of "always", "missing" or "never"`, true, 125);
  }
  const named = !IMAGE_ID.test(opts.image);
  if (policy === "always" && named) await pullForCreate(ctx, opts.image);
  const attempt = async () => {
    const { id, warnings } = await ctx.engine.containerCreate(opts);
    for (const w of warnings) ctx.err(`WARNING: ${w}\n`);
    return id;
  };
  try {
    return await attempt();
  } catch (err) {
    if (!(policy === "missing" && named && isNoSuchImage(err))) throw report(ctx, daemonMessage(err), true, 125);
  }
  ctx.err(`Unable to find image '${familiarString(withDefaultTag(parseReference(opts.image)))}' locally\n`);
  await pullForCreate(ctx, opts.image);
  try {
    return await attempt();
  } catch (err) {
    throw report(ctx, daemonMessage(err), true, 125);
  }
}

function isNoSuchImage(err: unknown): boolean {
  const e = toBerthError(err);
  return e.kind === "not-found" && e.message.startsWith("No such image");
}

function checkTty(ctx: CommandContext, tty: boolean, stdin: boolean): void {
  if (tty && stdin && ctx.io.stdin && !ctx.io.stdin.isTTY) throw new CliError("the input device is not a TTY");
}

async function runCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const opts = await containerOptions(ctx, true);
  const detach = f.bool("detach");
  const attach = f.list("attach").map((s) => s.toLowerCase());
  const attachStdin = !detach && (f.bool("interactive") || attach.includes("stdin"));
  const tty = f.bool("tty");
  if (!detach) checkTty(ctx, tty, attachStdin);
  const detachKeys = parseDetachKeys(f.string("detach-keys") || DEFAULT_DETACH_KEYS);

  const id = await create(ctx, opts);
  if (detach) {
    try {
      await ctx.engine.containerStart(id);
    } catch (err) {
      throw report(ctx, daemonMessage(err), false, startFailureStatus(err));
    }
    ctx.out(`${id}\n`);
    return 0;
  }
  const show = attach.length > 0 ? { stdout: attach.includes("stdout"), stderr: attach.includes("stderr") } : undefined;
  let startError: unknown;
  const outcome = await runSession(
    ctx,
    (handlers) => ctx.engine.containerAttach(id, { stdin: attachStdin }, handlers),
    {
      tty,
      stdin: attachStdin,
      detachKeys,
      ...(show ? { show } : {}),
      ...(!tty && f.bool("sig-proxy") ? { sigProxyContainer: id } : {}),
    },
    async () => {
      try {
        await ctx.engine.containerStart(id);
      } catch (err) {
        startError = err;
        throw err;
      }
    },
  ).catch((err) => {
    if (startError !== undefined) throw report(ctx, daemonMessage(startError), false, startFailureStatus(startError));
    throw report(ctx, daemonMessage(err), false, 125);
  });
  return outcome.exitCode;
}

async function createCommand(ctx: CommandContext): Promise<number> {
  const opts = await containerOptions(ctx, false);
  const id = await create(ctx, opts);
  ctx.out(`${id}\n`);
  return 0;
}

async function startCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const attach = f.bool("attach");
  const interactive = f.bool("interactive");
  if (attach || interactive) {
    if (ctx.args.length > 1) throw new CliError("you cannot start and attach multiple containers at once");
    const name = ctx.args[0]!;
    const info = await ctx.engine.containerInspect(name);
    const tty = info.config.tty ?? false;
    const stdin = interactive && (info.config.openStdin ?? false);
    checkTty(ctx, tty, stdin);
    const detachKeys = parseDetachKeys(f.string("detach-keys") || DEFAULT_DETACH_KEYS);
    const outcome = await runSession(
      ctx,
      (handlers) => ctx.engine.containerAttach(info.id, { stdin }, handlers),
      { tty, stdin, detachKeys, ...(!tty ? { sigProxyContainer: info.id } : {}) },
      () => ctx.engine.containerStart(info.id),
    );
    return outcome.exitCode;
  }
  const failed: string[] = [];
  for (const name of ctx.args) {
    try {
      await ctx.engine.containerStart(name);
      ctx.out(`${name}\n`);
    } catch (err) {
      ctx.err(`${daemonMessage(err)}\n`);
      failed.push(name);
    }
  }
  if (failed.length > 0) throw new CliError(`Error: failed to start containers: ${failed.join(", ")}`);
  return 0;
}

async function attachCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const info = await ctx.engine.containerInspect(ctx.args[0]!);
  if (info.stateDetail.paused) throw new CliError("You cannot attach to a paused container, unpause it first");
  if (!info.stateDetail.running) throw new CliError("You cannot attach to a stopped container, start it first");
  const tty = info.config.tty ?? false;
  const stdin = !f.bool("no-stdin") && (info.config.openStdin ?? false);
  checkTty(ctx, tty, stdin);
  const outcome = await runSession(ctx, (handlers) => ctx.engine.containerAttach(info.id, { stdin }, handlers), {
    tty,
    stdin,
    detachKeys: parseDetachKeys(f.string("detach-keys") || DEFAULT_DETACH_KEYS),
    ...(!tty && f.bool("sig-proxy") ? { sigProxyContainer: info.id } : {}),
  });
  return outcome.exitCode;
}

async function execCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const [container, ...cmd] = ctx.args as [string, ...string[]];
  const lookup = envLookup(ctx);
  const env: string[] = [];
  for (const file of f.list("env-file")) env.push(...(await envFileLines(ctx, file)));
  for (const e of f.list("env")) env.push(usage(() => resolveEnv(e, lookup)));
  const tty = f.bool("tty");
  const interactive = f.bool("interactive");
  const detach = f.bool("detach");
  const opts = {
    cmd,
    ...(tty ? { tty } : {}),
    ...(interactive ? { interactive } : {}),
    ...(env.length ? { env } : {}),
    ...(f.string("workdir") ? { workingDir: f.string("workdir") } : {}),
    ...(f.string("user") ? { user: f.string("user") } : {}),
    ...(detach ? { detach } : {}),
  };
  if (detach) {
    await ctx.engine.containerExec(container, opts, { onOutput: () => {}, onExit: () => {} });
    return 0;
  }
  checkTty(ctx, tty, interactive);
  const outcome = await runSession(ctx, (handlers) => ctx.engine.containerExec(container, opts, handlers), {
    tty,
    stdin: interactive,
    detachKeys: parseDetachKeys(f.string("detach-keys") || DEFAULT_DETACH_KEYS),
  });
  return outcome.exitCode;
}

async function envFileLines(ctx: CommandContext, file: string): Promise<string[]> {
  const text = toText(await readLocalFile(ctx, file));
  return usage(() => parseEnvFile(text, envLookup(ctx), file));
}

export const runCommands: CommandDef[] = [
  {
    paths: [["container", "run"], ["run"]],
    usage: "[OPTIONS] IMAGE [COMMAND] [ARG...]",
    short: "Create and run a new container from an image",
    flags: RUN_FLAGS,
    interspersed: false,
    args: { min: 1 },
    argKinds: ["image", "none"],
    errorStyle: "docker",
    common: true,
    run: runCommand,
  },
  {
    paths: [["container", "create"], ["create"]],
    usage: "[OPTIONS] IMAGE [COMMAND] [ARG...]",
    short: "Create a new container",
    flags: CONTAINER_FLAGS,
    interspersed: false,
    args: { min: 1 },
    argKinds: ["image", "none"],
    errorStyle: "docker",
    run: createCommand,
  },
  {
    paths: [["container", "start"], ["start"]],
    usage: "[OPTIONS] CONTAINER [CONTAINER...]",
    short: "Start one or more stopped containers",
    flags: [
      boolFlag("attach", "a", "Attach STDOUT/STDERR and forward signals"),
      stringFlag("detach-keys", undefined, "Override the key sequence for detaching a container", { validate: validateDetachKeys }),
      boolFlag("interactive", "i", "Attach container's STDIN"),
    ],
    args: { min: 1 },
    argKinds: ["container-stopped"],
    run: startCommand,
  },
  {
    paths: [["container", "attach"], ["attach"]],
    usage: "[OPTIONS] CONTAINER",
    short: "Attach local standard input, output, and error streams to a running container",
    flags: [
      stringFlag("detach-keys", undefined, "Override the key sequence for detaching a container", { validate: validateDetachKeys }),
      boolFlag("no-stdin", undefined, "Do not attach STDIN"),
      boolFlag("sig-proxy", undefined, "Proxy all received signals to the process", { default: true }),
    ],
    args: { min: 1, max: 1 },
    argKinds: ["container-running"],
    run: attachCommand,
  },
  {
    paths: [["container", "exec"], ["exec"]],
    usage: "[OPTIONS] CONTAINER COMMAND [ARG...]",
    short: "Execute a command in a running container",
    flags: [
      boolFlag("detach", "d", "Detached mode: run command in the background"),
      stringFlag("detach-keys", undefined, "Override the key sequence for detaching a container", { validate: validateDetachKeys }),
      listFlag("env", "e", "Set environment variables"),
      listFlag("env-file", undefined, "Read in a file of environment variables", { complete: "file" }),
      boolFlag("interactive", "i", "Keep STDIN open even if not attached"),
      boolFlag("tty", "t", "Allocate a pseudo-TTY"),
      stringFlag("user", "u", "Username or UID (format: \"<name|uid>[:<group|gid>]\")"),
      stringFlag("workdir", "w", "Working directory inside the container"),
    ],
    interspersed: false,
    args: { min: 2 },
    argKinds: ["container-running", "none"],
    common: true,
    run: execCommand,
  },
];
