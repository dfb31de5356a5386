// version, info, system df, system prune, events, and the generic inspect.

import type { DiskUsage, EngineEvent, SystemInfo, VersionInfo } from "../../core/engine-api.ts";
import type { CommandContext, CommandDef } from "../command.ts";
import { BerthError } from "../../core/errors.ts";
import { CliError } from "../errors.ts";
import { containerInspectJson, imageInspectJson, networkInspectJson, volumeInspectJson } from "../format/inspect.ts";
import { compileFormat, executeFormat, renderList, type ListFormat } from "../format/list.ts";
import { asStruct } from "../format/template.ts";
import { parseTimestamp, rfc3339FromNanos } from "../format/time.ts";
import { bytesSize, humanSize } from "../format/units.ts";
import { checkFilterKeys, parseFilters } from "../opts/misc.ts";
import { inspectAndPrint } from "./inspect.ts";
import { FORMAT_JSON_USAGE, boolFlag, confirm, daemonMessage, filterFlag, formatFlag, interrupted, isNotFound, stringFlag, usage } from "./shared.ts";

export const CLI_VERSION = "0.1.0";
export const CLI_API_VERSION = "1.43";

function clientPlatform(): { os: string; arch: string } {
  const proc = (globalThis as { process?: { platform?: string; arch?: string; versions?: { node?: string } } }).process;
  if (proc?.versions?.node) return { os: proc.platform ?? "node", arch: proc.arch ?? "" };
  return { os: "browser", arch: "wasm" };
}

function fmtFlagFor(format: string): string {
  return format === "json" ? "{{json .}}" : format;
}

// ---------- version ----------

function versionData(server: VersionInfo | undefined) {
  const { os, arch } = clientPlatform();
  const client = asStruct({ Platform: { Name: "Berth" }, Version: CLI_VERSION, ApiVersion: CLI_API_VERSION, Os: os, Arch: arch, Context: "default" }, "*command.clientVersion");
  const srv = server
    ? asStruct(
        {
          Platform: { Name: "Berth Engine" },
          Version: server.version,
          ApiVersion: server.apiVersion,
          Os: server.os,
          Arch: server.arch,
          KernelVersion: server.kernelVersion,
          Guest: { State: server.guest.state, StartMs: server.guest.startMs ?? null, Mode: server.guest.mode ?? "" },
        },
        "*types.Version",
      )
    : null;
  return asStruct({ Client: client, Server: srv }, "command.versionInfo");
}

async function versionCommand(ctx: CommandContext): Promise<number> {
  let server: VersionInfo | undefined;
  let error: unknown;
  try {
    server = await ctx.engine.version();
  } catch (err) {
    error = err;
  }
  const data = versionData(server);
  const format = ctx.flags.string("format");
  if (format) {
    const t = compileFormat(fmtFlagFor(format));
    ctx.out(executeFormat(t, data) + "\n");
  } else {
    const c = data.Client;
    const lines = [
      "Client:",
      ` Version:           ${c.Version}`,
      ` API version:       ${c.ApiVersion}`,
      ` OS/Arch:           ${c.Os}/${c.Arch}`,
      ` Context:           ${c.Context}`,
    ];
    if (server) {
      lines.push(
        "",
        "Server: Berth Engine",
        " Engine:",
        `  Version:          ${server.version}`,
        `  API version:      ${server.apiVersion}`,
        `  OS/Arch:          ${server.os}/${server.arch}`,
        `  Kernel Version:   ${server.kernelVersion}`,
        " Guest:",
        `  State:            ${server.guest.state}`,
      );
      if (server.guest.mode) lines.push(`  Boot:             ${server.guest.mode}${server.guest.startMs !== undefined ? ` in ${server.guest.startMs}ms` : ""}`);
    }
    ctx.out(lines.join("\n") + "\n");
  }
  if (error !== undefined) {
    ctx.err(daemonMessage(error) + "\n");
    return 1;
  }
  return 0;
}

// ---------- info ----------

function infoData(info: SystemInfo, version: VersionInfo | undefined) {
  return asStruct(
    {
      Containers: info.containers,
      ContainersRunning: info.containersRunning,
      ContainersPaused: info.containersPaused,
      ContainersStopped: info.containersStopped,
      Images: info.images,
      Driver: "overlay",
      KernelVersion: info.kernelVersion,
      OperatingSystem: "Berth guest (Linux in v86)",
      OSType: "linux",
      Architecture: "i686",
      NCPU: 1,
      MemTotal: info.memTotal,
      StorageUsed: info.storageUsed,
      ServerVersion: version?.version ?? "",
      Name: "berth",
    },
    "*system.Info",
  );
}

async function infoCommand(ctx: CommandContext): Promise<number> {
  const format = ctx.flags.string("format");
  let info: SystemInfo;
  let version: VersionInfo | undefined;
  try {
    [info, version] = await Promise.all([ctx.engine.info(), ctx.engine.version().catch(() => undefined)]);
  } catch (err) {
    if (!format) ctx.out(`Client:\n Version:    ${CLI_VERSION}\n Context:    default\n Debug Mode: false\n\nServer:\n`);
    throw err;
  }
  const data = infoData(info, version);
  if (format) {
    ctx.out(executeFormat(compileFormat(fmtFlagFor(format)), data) + "\n");
    return 0;
  }
  const lines = [
    "Client:",
    ` Version:    ${CLI_VERSION}`,
    " Context:    default",
    ` Debug Mode: ${ctx.debug}`,
    "",
    "Server:",
    ` Containers: ${info.containers}`,
    `  Running: ${info.containersRunning}`,
    `  Paused: ${info.containersPaused}`,
    `  Stopped: ${info.containersStopped}`,
    ` Images: ${info.images}`,
    ` Server Version: ${data.ServerVersion}`,
    ` Storage Driver: ${data.Driver}`,
    ` Storage Used: ${humanSize(info.storageUsed)}`,
    ` Kernel Version: ${info.kernelVersion}`,
    ` Operating System: ${data.OperatingSystem}`,
    ` OSType: linux`,
    ` Architecture: i686`,
    ` CPUs: 1`,
    ` Total Memory: ${bytesSize(info.memTotal)}`,
    ` Name: berth`,
  ];
  ctx.out(lines.join("\n") + "\n");
  return 0;
}

// ---------- system df ----------

interface DfRow {
  type: string;
  total: number;
  active: number | undefined;
  size: number;
  reclaimable: number | undefined;
  percent: boolean;
}

const dfFormat: ListFormat<DfRow> = {
  defaultTable: "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
  quietFormat: "{{.Type}}",
  headers: { Type: "TYPE", TotalCount: "TOTAL", Active: "ACTIVE", Size: "SIZE", Reclaimable: "RECLAIMABLE" },
  context: (r) =>
    asStruct(
      {
        Type: r.type,
        TotalCount: String(r.total),
        Active: r.active === undefined ? "N/A" : String(r.active),
        Size: humanSize(r.size),
        Reclaimable:
          r.reclaimable === undefined
            ? "N/A"
            : r.percent && r.size > 0
              ? `${humanSize(r.reclaimable)} (${Math.floor((r.reclaimable * 100) / r.size)}%)`
              : humanSize(r.reclaimable),
      },
      "*formatter.diskUsageContext",
    ),
};

export async function diskUsageRows(ctx: CommandContext): Promise<DfRow[]> {
  const [du, images, containers, volumes]: [DiskUsage, ...unknown[]] = await Promise.all([
    ctx.engine.diskUsage(),
    ctx.engine.imageList({ all: true }).catch(() => undefined),
    ctx.engine.containerList({ all: true }).catch(() => undefined),
    ctx.engine.volumeList().catch(() => undefined),
  ]);
  const imgs = images as Awaited<ReturnType<CommandContext["engine"]["imageList"]>> | undefined;
  const ctrs = containers as Awaited<ReturnType<CommandContext["engine"]["containerList"]>> | undefined;
  const vols = volumes as Awaited<ReturnType<CommandContext["engine"]["volumeList"]>> | undefined;
  const usedImages = new Set(ctrs?.map((c) => c.imageId) ?? []);
  const imageActive = imgs ? imgs.filter((i) => (i.containers > 0 ? true : i.containers < 0 ? usedImages.has(i.id) : false)) : undefined;
  const imageReclaimable = imgs && imageActive ? imgs.filter((i) => !imageActive.includes(i)).reduce((n, i) => n + i.size, 0) : undefined;
  const running = ctrs?.filter((c) => c.state === "running" || c.state === "paused" || c.state === "restarting").length;
  const containerReclaimable = running === undefined ? undefined : running === 0 ? du.containers.size : running === du.containers.count ? 0 : undefined;
  const volActive = vols?.filter((v) => v.usedBy.length > 0);
  const volReclaimable = vols?.filter((v) => v.usedBy.length === 0).reduce((n, v) => n + Math.max(0, v.size), 0);
  return [
    { type: "Images", total: du.images.count, active: imageActive?.length, size: du.images.size, reclaimable: imageReclaimable, percent: true },
    { type: "Containers", total: du.containers.count, active: running, size: du.containers.size, reclaimable: containerReclaimable, percent: true },
    { type: "Local Volumes", total: du.volumes.count, active: volActive?.length, size: du.volumes.size, reclaimable: volReclaimable, percent: true },
    { type: "Build Cache", total: du.buildCache.count, active: 0, size: du.buildCache.size, reclaimable: du.buildCache.size, percent: false },
  ];
}

async function dfCommand(ctx: CommandContext): Promise<number> {
  const rows = await diskUsageRows(ctx);
  ctx.out(renderList(dfFormat, rows, { format: ctx.flags.string("format") }));
  return 0;
}

// ---------- system prune ----------

async function systemPruneCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const all = f.bool("all");
  const volumes = f.bool("volumes");
  const items = [
    "all stopped containers",
    "all networks not used by at least one container",
    ...(volumes ? ["all anonymous volumes not used by at least one container"] : []),
    all ? "all images without at least one container associated to them" : "all dangling images",
    all ? "all build cache" : "unused build cache",
  ];
  const warning = "WARNING! This will remove:\n" + items.map((i) => `  - ${i}`).join("\n") + "\n";
  if (!f.bool("force") && !(await confirm(ctx, warning))) return 0;
  let total = 0;
  const section = (title: string, deleted: string[], prefix = "") => {
    if (deleted.length > 0) ctx.out(`${title}:\n${deleted.map((d) => prefix + d).join("\n")}\n\n`);
  };
  const c = await ctx.engine.containerPrune();
  section("Deleted Containers", c.deleted);
  total += c.spaceReclaimed;
  const n = await ctx.engine.networkPrune();
  section("Deleted Networks", n.deleted);
  if (volumes) {
    const v = await ctx.engine.volumePrune();
    section("Deleted Volumes", v.deleted);
    total += v.spaceReclaimed;
  }
  const i = await ctx.engine.imagePrune(all ? { all } : {});
  section("Deleted Images", i.deleted, "deleted: ");
  total += i.spaceReclaimed;
  const b = await ctx.engine.buildCachePrune();
  section("Deleted build cache objects", b.deleted);
  total += b.spaceReclaimed;
  ctx.out(`Total reclaimed space: ${humanSize(total)}\n`);
  return 0;
}

// ---------- events ----------

const EVENT_FILTERS = ["config", "container", "daemon", "event", "image", "label", "network", "node", "plugin", "scope", "secret", "service", "type", "volume"];

export function formatEvent(e: EngineEvent): string {
  const attrs = Object.keys(e.attributes)
    .sort()
    .map((k) => `${k}=${e.attributes[k]}`)
    .join(", ");
  return `${rfc3339FromNanos(e.timeNano)} ${e.type} ${e.action} ${e.id}${attrs ? ` (${attrs})` : ""}`;
}

function eventContext(e: EngineEvent) {
  const from = e.attributes.image ?? "";
  const msg = asStruct(
    {
      Status: e.type === "container" || e.type === "image" ? e.action : "",
      ID: e.type === "container" || e.type === "image" ? e.id : "",
      From: from,
      Type: e.type,
      Action: e.action,
      Actor: { ID: e.id, Attributes: e.attributes },
      Scope: "local",
      Time: e.time,
      TimeNano: Number(e.timeNano),
      toJSON: () => ({
        ...(msg.Status ? { status: msg.Status, id: msg.ID, from } : {}),
        Type: e.type,
        Action: e.action,
        Actor: { ID: e.id, Attributes: e.attributes },
        scope: "local",
        time: e.time,
        timeNano: Number(e.timeNano),
      }),
    },
    "events.Message",
  );
  return msg;
}

async function eventsCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const filters = usage(() => parseFilters(f.list("filter")));
  usage(() => checkFilterKeys(filters, EVENT_FILTERS));
  const now = ctx.now();
  let since: number | undefined;
  let until: number | undefined;
  try {
    if (f.string("since")) since = parseTimestamp(f.string("since"), now);
    if (f.string("until")) until = parseTimestamp(f.string("until"), now);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (until !== undefined && until <= now && since === undefined) return 0;
  const format = f.string("format");
  const template = format ? compileFormat(fmtFlagFor(format)) : undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const onEvent = (e: EngineEvent) => {
    const ms = Number(BigInt(e.timeNano) / 1_000_000n);
    if (since !== undefined && ms < since) return;
    if (until !== undefined && ms > until) {
      resolveDone();
      return;
    }
    ctx.out((template ? executeFormat(template, eventContext(e)) : formatEvent(e)) + "\n");
  };
  const id = await ctx.engine.subscribe(onEvent, Object.keys(filters).length ? filters : undefined);
  const stop = interrupted(ctx);
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (until !== undefined) timer = setTimeout(resolveDone, Math.max(0, until - ctx.now()));
  try {
    const why = await Promise.race([done.then(() => "until" as const), stop.promise]);
    return why === "interrupted" ? 130 : 0;
  } finally {
    if (timer) clearTimeout(timer);
    stop.dispose();
    await ctx.engine.unsubscribe(id).catch(() => {});
  }
}

// ---------- inspect ----------

const INSPECT_TYPES = ["container", "image", "volume", "network"] as const;

async function inspectCommand(ctx: CommandContext): Promise<number> {
  const type = ctx.flags.string("type");
  if (type && !(INSPECT_TYPES as readonly string[]).includes(type)) throw new CliError(`"${type}" is not a valid value for --type`);
  const e = ctx.engine;
  const fetchers: Record<(typeof INSPECT_TYPES)[number], (n: string) => Promise<unknown>> = {
    container: async (n) => containerInspectJson(await e.containerInspect(n)),
    image: async (n) => imageInspectJson(await e.imageInspect(n)),
    volume: async (n) => volumeInspectJson(await e.volumeInspect(n)),
    network: async (n) => networkInspectJson(await e.networkInspect(n)),
  };
  const order = type ? [type as (typeof INSPECT_TYPES)[number]] : [...INSPECT_TYPES];
  return inspectAndPrint(
    ctx,
    ctx.args,
    async (name) => {
      for (const t of order) {
        try {
          return await fetchers[t](name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      throw new BerthError("not-found", type ? `No such ${type}: ${name}` : `No such object: ${name}`);
    },
    ctx.flags.string("format"),
  );
}

export const systemCommands: CommandDef[] = [
  {
    paths: [["version"]],
    usage: "[OPTIONS]",
    short: "Show the Docker version information",
    flags: [formatFlag("f", FORMAT_JSON_USAGE)],
    args: { max: 0 },
    common: true,
    run: versionCommand,
  },
  {
    paths: [["system", "info"], ["info"]],
    usage: "[OPTIONS]",
    short: "Display system-wide information",
    flags: [formatFlag("f", FORMAT_JSON_USAGE)],
    args: { max: 0 },
    common: true,
    run: infoCommand,
  },
  {
    paths: [["system", "df"]],
    usage: "[OPTIONS]",
    short: "Show docker disk usage",
    flags: [formatFlag()],
    args: { max: 0 },
    run: dfCommand,
  },
  {
    paths: [["system", "prune"]],
    usage: "[OPTIONS]",
    short: "Remove unused data",
    flags: [
      boolFlag("all", "a", "Remove all unused images not just dangling ones"),
      boolFlag("force", "f", "Do not prompt for confirmation"),
      boolFlag("volumes", undefined, "Prune anonymous volumes"),
    ],
    args: { max: 0 },
    run: systemPruneCommand,
  },
  {
    paths: [["system", "events"], ["events"]],
    usage: "[OPTIONS]",
    short: "Get real time events from the server",
    flags: [
      filterFlag(),
      formatFlag(undefined, FORMAT_JSON_USAGE),
      stringFlag("since", undefined, "Show all events created since timestamp"),
      stringFlag("until", undefined, "Stream events until this timestamp"),
    ],
    args: { max: 0 },
    run: eventsCommand,
  },
  {
    paths: [["inspect"]],
    usage: "[OPTIONS] NAME|ID [NAME|ID...]",
    short: "Return low-level information on Docker objects",
    flags: [
      formatFlag("f", FORMAT_JSON_USAGE),
      boolFlag("size", "s", "Display total file sizes if the type is container"),
      stringFlag("type", undefined, "Only inspect objects of the given type", { complete: ["container", "image", "volume", "network"] }),
    ],
    args: { min: 1 },
    argKinds: ["container"],
    run: inspectCommand,
  },
];
