// Container lifecycle and listing: ps, stop, kill, restart, pause, unpause,
// rm, rename, wait, top, logs, diff, port, container prune, container inspect.

import type { ContainerSummary, LogChunk, LogOptions } from "../../core/engine-api.ts";
import type { CommandContext, CommandDef } from "../command.ts";
import { CliError, ExitStatus } from "../errors.ts";
import { containerInspectJson } from "../format/inspect.ts";
import { renderList, type ListFormat } from "../format/list.ts";
import { displayPorts, formatPort } from "../format/ports.ts";
import { ellipsis, shortId, table } from "../format/table.ts";
import { asStruct } from "../format/template.ts";
import { goTimeString, parseTimestamp, rfc3339FromIso } from "../format/time.ts";
import { humanSize, timeAgo } from "../format/units.ts";
import { checkFilterKeys, parseFilters } from "../opts/misc.ts";
import { parsePortProto } from "../opts/ports.ts";
import { inspectAndPrint } from "./inspect.ts";
import {
  FORMAT_JSON_USAGE,
  boolFlag,
  confirm,
  filterFlag,
  forEachName,
  formatFlag,
  intFlag,
  onInterrupt,
  stringFlag,
  usage,
} from "./shared.ts";

// ---------- ps ----------

const PS_FILTERS = ["ancestor", "before", "expose", "exited", "health", "id", "isolation", "is-task", "label", "name", "network", "publish", "since", "status", "volume"];
const STATUSES = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];

export function psFormat(now: number, trunc: boolean): ListFormat<ContainerSummary> {
  return {
    defaultTable: "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
    quietFormat: "{{.ID}}",
    headers: {
      ID: "CONTAINER ID",
      Image: "IMAGE",
      Command: "COMMAND",
      CreatedAt: "CREATED AT",
      RunningFor: "CREATED",
      Ports: "PORTS",
      State: "STATE",
      Status: "STATUS",
      Size: "SIZE",
      Names: "NAMES",
      Labels: "LABELS",
      Label: "LABEL",
      Mounts: "MOUNTS",
      Networks: "NETWORKS",
      LocalVolumes: "LOCAL VOLUMES",
    },
    context: (c) => {
      let image = c.image || c.imageId;
      if (trunc) {
        if (/^sha256:[a-f0-9]{64}$/.test(image)) image = shortId(image);
        else image = image.replace(/@sha256:[a-f0-9]{64}$/, "");
      }
      const labels = Object.keys(c.labels)
        .sort()
        .map((k) => `${k}=${c.labels[k]}`)
        .join(",");
      return asStruct(
        {
          ID: trunc ? shortId(c.id) : c.id,
          Image: image,
          Command: JSON.stringify(trunc ? ellipsis(c.command, 20) : c.command),
          CreatedAt: goTimeString(c.created),
          RunningFor: timeAgo(c.created, now),
          Ports: displayPorts(c.ports),
          State: c.state,
          Status: c.status,
          Size: "0B",
          Names: c.name,
          Labels: labels,
          Label: (name: unknown) => c.labels[String(name)] ?? "",
          Mounts: c.mounts.map((m) => (m.name ? (trunc ? ellipsis(m.name, 15) : m.name) : m.source)).join(","),
          Networks: c.networks.join(","),
          LocalVolumes: String(c.mounts.filter((m) => m.type === "volume").length),
        },
        "*formatter.ContainerContext",
      );
    },
  };
}

async function psCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const filters = usage(() => parseFilters(f.list("filter")));
  usage(() => checkFilterKeys(filters, PS_FILTERS));
  for (const s of filters.status ?? []) if (!STATUSES.includes(s)) throw new CliError(`invalid filter 'status=${s}'`);
  let last = f.int("last");
  if (f.bool("latest")) last = 1;
  const all = f.bool("all") || last > 0;
  let list = await ctx.engine.containerList({ all, ...(Object.keys(filters).length ? { filters } : {}) });
  list = [...list].sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
  if (last > 0) list = list.slice(0, last);
  ctx.out(renderList(psFormat(ctx.now(), !f.bool("no-trunc")), list, { format: f.string("format"), quiet: f.bool("quiet"), warn: (t) => ctx.err(t) }));
  return 0;
}

// ---------- logs ----------

async function logsCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const now = ctx.now();
  const opts: LogOptions = {};
  if (f.bool("follow")) opts.follow = true;
  const tail = f.string("tail");
  if (tail !== "all" && tail !== "") {
    if (!/^-?\d+$/.test(tail)) throw new CliError(`invalid value for "tail": ${JSON.stringify(tail)} is not a number or "all"`);
    opts.tail = Number(tail) < 0 ? "all" : Number(tail);
  }
  let until: number | undefined;
  try {
    if (f.string("since")) opts.since = new Date(parseTimestamp(f.string("since"), now)).toISOString();
    if (f.string("until")) until = parseTimestamp(f.string("until"), now);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const timestamps = f.bool("timestamps");
  const atLineStart = { stdout: true, stderr: true };
  let stopped = false;
  const write = (c: LogChunk) => {
    if (stopped) return;
    if (until !== undefined && Date.parse(c.time) > until) return;
    let data: string | Uint8Array = c.data;
    if (timestamps) {
      const stamp = rfc3339FromIso(c.time) + " ";
      const text = new TextDecoder().decode(c.data);
      let out = "";
      for (const ch of text) {
        if (atLineStart[c.stream]) out += stamp;
        out += ch;
        atLineStart[c.stream] = ch === "\n";
      }
      data = out;
    }
    if (c.stream === "stderr") ctx.err(data);
    else ctx.out(data);
  };
  // Ctrl-C: stop printing at once (the engine may still send what it had).
  let onStop!: () => void;
  const interruptedP = new Promise<"interrupted">((resolve) => (onStop = () => resolve("interrupted")));
  const dispose = onInterrupt(ctx, () => {
    stopped = true;
    onStop();
  });
  try {
    const result = await Promise.race([ctx.engine.containerLogs(ctx.args[0]!, opts, write).then(() => "done" as const), interruptedP]);
    return result === "interrupted" ? 130 : 0;
  } finally {
    dispose();
  }
}

// ---------- small ones ----------

async function topCommand(ctx: CommandContext): Promise<number> {
  if (ctx.args.length > 1) throw new CliError(`ps options are not supported here: ${ctx.args.slice(1).join(" ")}`);
  const top = await ctx.engine.containerTop(ctx.args[0]!);
  ctx.out(table([top.titles, ...top.processes], { minWidth: 20 }));
  return 0;
}

async function diffCommand(ctx: CommandContext): Promise<number> {
  const changes = await ctx.engine.containerDiff(ctx.args[0]!);
  for (const c of changes) ctx.out(`${c.kind} ${c.path}\n`);
  return 0;
}

async function portCommand(ctx: CommandContext): Promise<number> {
  const info = await ctx.engine.containerInspect(ctx.args[0]!);
  const ports = info.ports.filter((p) => p.hostPort > 0);
  if (ctx.args[1] !== undefined) {
    const { port, protocol } = usage(() => parsePortProto(ctx.args[1]!));
    const match = ports.filter((p) => p.containerPort === port && p.protocol === protocol);
    if (match.length === 0) throw new CliError(`Error: No public port '${port}/${protocol}' published for ${ctx.args[0]}`);
    for (const p of match) ctx.out(`${formatPort(p).split("->")[0]}\n`);
    return 0;
  }
  const sorted = [...ports].sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
  for (const p of sorted) ctx.out(`${p.containerPort}/${p.protocol} -> ${formatPort(p).split("->")[0]}\n`);
  return 0;
}

async function waitCommand(ctx: CommandContext): Promise<number> {
  let interruptedNow = false;
  let onStop!: () => void;
  const stop = new Promise<null>((resolve) => (onStop = () => resolve(null)));
  const dispose = onInterrupt(ctx, () => {
    interruptedNow = true;
    onStop();
  });
  try {
    const status = await forEachName(ctx, ctx.args, async (name) => {
      const result = interruptedNow ? null : await Promise.race([ctx.engine.containerWait(name), stop]);
      if (result === null) throw new ExitStatus(130);
      return String(result.exitCode);
    });
    return status;
  } catch (err) {
    if (err instanceof ExitStatus) return err.status;
    throw err;
  } finally {
    dispose();
  }
}

async function pruneCommand(ctx: CommandContext): Promise<number> {
  if (!ctx.flags.bool("force") && !(await confirm(ctx, "WARNING! This will remove all stopped containers."))) return 0;
  const result = await ctx.engine.containerPrune();
  if (result.deleted.length > 0) ctx.out(`Deleted Containers:\n${result.deleted.join("\n")}\n\n`);
  ctx.out(`Total reclaimed space: ${humanSize(result.spaceReclaimed)}\n`);
  return 0;
}

const timeoutFlag = intFlag("timeout", "t", "Seconds to wait before killing the container", { aliases: ["time"] });

export const containerCommands: CommandDef[] = [
  {
    paths: [["container", "ls"], ["container", "list"], ["container", "ps"], ["ps"]],
    usage: "[OPTIONS]",
    short: "List containers",
    flags: [
      boolFlag("all", "a", "Show all containers (default shows just running)"),
      filterFlag(),
      formatFlag(),
      intFlag("last", "n", "Show n last created containers (includes all states)", { default: -1 }),
      boolFlag("latest", "l", "Show the latest created container (includes all states)"),
      boolFlag("no-trunc", undefined, "Don't truncate output"),
      boolFlag("quiet", "q", "Only display container IDs"),
    ],
    args: { max: 0 },
    common: true,
    run: psCommand,
  },
  {
    paths: [["container", "stop"], ["stop"]],
    usage: "[OPTIONS] CONTAINER [CONTAINER...]",
    short: "Stop one or more running containers",
    flags: [stringFlag("signal", "s", "Signal to send to the container"), timeoutFlag],
    args: { min: 1 },
    argKinds: ["container-running"],
    run: (ctx) =>
      forEachName(ctx, ctx.args, (name) =>
        ctx.engine.containerStop(name, {
          ...(ctx.flags.changed("timeout") ? { timeout: ctx.flags.int("timeout") } : {}),
          ...(ctx.flags.string("signal") ? { signal: ctx.flags.string("signal") } : {}),
        }),
      ),
  },
  {
    paths: [["container", "restart"], ["restart"]],
    usage: "[OPTIONS] CONTAINER [CONTAINER...]",
    short: "Restart one or more containers",
    flags: [timeoutFlag],
    args: { min: 1 },
    argKinds: ["container"],
    run: (ctx) => forEachName(ctx, ctx.args, (name) => ctx.engine.containerRestart(name, ctx.flags.changed("timeout") ? { timeout: ctx.flags.int("timeout") } : {})),
  },
  {
    paths: [["container", "kill"], ["kill"]],
    usage: "[OPTIONS] CONTAINER [CONTAINER...]",
    short: "Kill one or more running containers",
    flags: [stringFlag("signal", "s", "Signal to send to the container")],
    args: { min: 1 },
    argKinds: ["container-running"],
    run: (ctx) => forEachName(ctx, ctx.args, (name) => (ctx.flags.string("signal") ? ctx.engine.containerKill(name, ctx.flags.string("signal")) : ctx.engine.containerKill(name))),
  },
  {
    paths: [["container", "pause"], ["pause"]],
    usage: "CONTAINER [CONTAINER...]",
    short: "Pause all processes within one or more containers",
    flags: [],
    args: { min: 1 },
    argKinds: ["container-running"],
    run: (ctx) => forEachName(ctx, ctx.args, (name) => ctx.engine.containerPause(name)),
  },
  {
    paths: [["container", "unpause"], ["unpause"]],
    usage: "CONTAINER [CONTAINER...]",
    short: "Unpause all processes within one or more containers",
    flags: [],
    args: { min: 1 },
    argKinds: ["container-paused"],
    run: (ctx) => forEachName(ctx, ctx.args, (name) => ctx.engine.containerUnpause(name)),
  },
  {
    paths: [["container", "rm"], ["container", "remove"], ["rm"]],
    usage: "[OPTIONS] CONTAINER [CONTAINER...]",
    short: "Remove one or more containers",
    flags: [boolFlag("force", "f", "Force the removal of a running container (uses SIGKILL)"), boolFlag("volumes", "v", "Remove anonymous volumes associated with the container")],
    args: { min: 1 },
    argKinds: ["container"],
    run: (ctx) =>
      forEachName(ctx, ctx.args, (name) =>
        ctx.engine.containerRemove(name, { ...(ctx.flags.bool("force") ? { force: true } : {}), ...(ctx.flags.bool("volumes") ? { volumes: true } : {}) }),
      ),
  },
  {
    paths: [["container", "rename"], ["rename"]],
    usage: "CONTAINER NEW_NAME",
    short: "Rename a container",
    flags: [],
    args: { min: 2, max: 2 },
    argKinds: ["container", "none"],
    run: async (ctx) => {
      const newName = ctx.args[1]!.replace(/^\//, "");
      if (newName === "") throw new CliError("Error: Neither old nor new names may be empty");
      await ctx.engine.containerRename(ctx.args[0]!, newName);
      return 0;
    },
  },
  {
    paths: [["container", "wait"], ["wait"]],
    usage: "CONTAINER [CONTAINER...]",
    short: "Block until one or more containers stop, then print their exit codes",
    flags: [],
    args: { min: 1 },
    argKinds: ["container"],
    run: waitCommand,
  },
  {
    paths: [["container", "top"], ["top"]],
    usage: "CONTAINER [ps OPTIONS]",
    short: "Display the running processes of a container",
    flags: [],
    interspersed: false,
    args: { min: 1 },
    argKinds: ["container-running", "none"],
    run: topCommand,
  },
  {
    paths: [["container", "logs"], ["logs"]],
    usage: "[OPTIONS] CONTAINER",
    short: "Fetch the logs of a container",
    flags: [
      boolFlag("follow", "f", "Follow log output"),
      stringFlag("since", undefined, 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)'),
      stringFlag("tail", "n", 'Number of lines to show from the end of the logs', { default: "all" }),
      boolFlag("timestamps", "t", "Show timestamps"),
      stringFlag("until", undefined, 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)'),
    ],
    args: { min: 1, max: 1 },
    argKinds: ["container"],
    run: logsCommand,
  },
  {
    paths: [["container", "diff"], ["diff"]],
    usage: "CONTAINER",
    short: "Inspect changes to files or directories on a container's filesystem",
    flags: [],
    args: { min: 1, max: 1 },
    argKinds: ["container"],
    run: diffCommand,
  },
  {
    paths: [["container", "port"], ["port"]],
    usage: "CONTAINER [PRIVATE_PORT[/PROTO]]",
    short: "List port mappings or a specific mapping for the container",
    flags: [],
    args: { min: 1, max: 2 },
    argKinds: ["container-running", "none"],
    run: portCommand,
  },
  {
    paths: [["container", "prune"]],
    usage: "[OPTIONS]",
    short: "Remove all stopped containers",
    flags: [boolFlag("force", "f", "Do not prompt for confirmation")],
    args: { max: 0 },
    run: pruneCommand,
  },
  {
    paths: [["container", "inspect"]],
    usage: "[OPTIONS] CONTAINER [CONTAINER...]",
    short: "Display detailed information on one or more containers",
    flags: [formatFlag("f", FORMAT_JSON_USAGE)],
    args: { min: 1 },
    argKinds: ["container"],
    run: (ctx) => inspectAndPrint(ctx, ctx.args, async (name) => containerInspectJson(await ctx.engine.containerInspect(name)), ctx.flags.string("format")),
  },
];
