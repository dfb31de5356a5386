// docker volume create | ls | inspect | rm | prune

import type { VolumeInfo } from "../../core/engine-api.ts";
import type { CommandContext, CommandDef } from "../command.ts";
import { CliError } from "../errors.ts";
import { volumeInspectJson } from "../format/inspect.ts";
import { renderList, type ListFormat } from "../format/list.ts";
import { asStruct } from "../format/template.ts";
import { humanSize } from "../format/units.ts";
import { checkFilterKeys, parseFilters, parseLabels } from "../opts/misc.ts";
import { inspectAndPrint } from "./inspect.ts";
import { FORMAT_JSON_USAGE, boolFlag, confirm, filterFlag, forEachName, formatFlag, listFlag, stringFlag, usage } from "./shared.ts";

export const volumeFormat: ListFormat<VolumeInfo> = {
  defaultTable: "table {{.Driver}}\t{{.Name}}",
  quietFormat: "{{.Name}}",
  headers: { Name: "VOLUME NAME", Driver: "DRIVER", Scope: "SCOPE", Mountpoint: "MOUNTPOINT", Labels: "LABELS", Links: "LINKS", Size: "SIZE", CreatedAt: "CREATED AT", Label: "LABEL" },
  context: (v) =>
    asStruct(
      {
        Name: v.name,
        Driver: v.driver,
        Scope: "local",
        Mountpoint: v.mountpoint,
        Labels: Object.keys(v.labels)
          .sort()
          .map((k) => `${k}=${v.labels[k]}`)
          .join(","),
        Label: (name: unknown) => v.labels[String(name)] ?? "",
        Links: String(v.usedBy.length),
        Size: v.size >= 0 ? humanSize(v.size) : "N/A",
        CreatedAt: v.createdAt,
      },
      "*formatter.volumeContext",
    ),
};

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf("=");
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

async function lsCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const filters = usage(() => parseFilters(f.list("filter")));
  usage(() => checkFilterKeys(filters, ["dangling", "driver", "label", "name"]));
  let volumes = await ctx.engine.volumeList();
  for (const d of filters.dangling ?? []) {
    const want = d === "true" || d === "1";
    if (!["true", "false", "1", "0"].includes(d)) throw new CliError(`invalid filter 'dangling=${d}'`);
    volumes = volumes.filter((v) => (v.usedBy.length === 0) === want);
  }
  if (filters.name) volumes = volumes.filter((v) => filters.name!.some((n) => v.name.includes(n)));
  if (filters.driver) volumes = volumes.filter((v) => filters.driver!.includes(v.driver));
  if (filters.label) volumes = volumes.filter((v) => filters.label!.every((l) => labelMatches(v.labels, l)));
  volumes = [...volumes].sort((a, b) => a.name.localeCompare(b.name));
  ctx.out(renderList(volumeFormat, volumes, { format: f.string("format"), quiet: f.bool("quiet"), warn: (t) => ctx.err(t) }));
  return 0;
}

async function createCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  if (f.string("driver") !== "local") throw new CliError(`Error response from daemon: plugin "${f.string("driver")}" not found`);
  let name = f.string("name");
  if (ctx.args[0]) {
    if (name && name !== ctx.args[0]) throw new CliError(`conflicting options: either specify --name or provide positional arg, not both`);
    name = ctx.args[0];
  }
  const labels = usage(() => parseLabels(f.list("label")));
  const v = await ctx.engine.volumeCreate({ ...(name ? { name } : {}), ...(Object.keys(labels).length ? { labels } : {}) });
  ctx.out(`${v.name}\n`);
  return 0;
}

async function pruneCommand(ctx: CommandContext): Promise<number> {
  const all = ctx.flags.bool("all");
  const warning = all
    ? "WARNING! This will remove all local volumes not used by at least one container."
    : "WARNING! This will remove anonymous local volumes not used by at least one container.";
  if (!ctx.flags.bool("force") && !(await confirm(ctx, warning))) return 0;
  const result = await ctx.engine.volumePrune(all ? { all } : {});
  if (result.deleted.length > 0) ctx.out(`Deleted Volumes:\n${result.deleted.join("\n")}\n\n`);
  ctx.out(`Total reclaimed space: ${humanSize(result.spaceReclaimed)}\n`);
  return 0;
}

export const volumeCommands: CommandDef[] = [
  {
    paths: [["volume", "create"]],
    usage: "[OPTIONS] [VOLUME]",
    short: "Create a volume",
    flags: [
      stringFlag("driver", "d", "Specify volume driver name", { default: "local", complete: ["local"] }),
      listFlag("label", undefined, "Set metadata for a volume"),
      stringFlag("name", undefined, "Specify volume name", { hidden: true }),
    ],
    args: { max: 1 },
    run: createCommand,
  },
  {
    paths: [["volume", "ls"], ["volume", "list"]],
    usage: "[OPTIONS]",
    short: "List volumes",
    flags: [filterFlag("Provide filter values (e.g. \"dangling=true\")"), formatFlag(), boolFlag("quiet", "q", "Only display volume names")],
    args: { max: 0 },
    run: lsCommand,
  },
  {
    paths: [["volume", "inspect"]],
    usage: "[OPTIONS] VOLUME [VOLUME...]",
    short: "Display detailed information on one or more volumes",
    flags: [formatFlag("f", FORMAT_JSON_USAGE)],
    args: { min: 1 },
    argKinds: ["volume"],
    run: (ctx) => inspectAndPrint(ctx, ctx.args, async (name) => volumeInspectJson(await ctx.engine.volumeInspect(name)), ctx.flags.string("format")),
  },
  {
    paths: [["volume", "rm"], ["volume", "remove"]],
    usage: "[OPTIONS] VOLUME [VOLUME...]",
    short: "Remove one or more volumes",
    flags: [boolFlag("force", "f", "Force the removal of one or more volumes")],
    args: { min: 1 },
    argKinds: ["volume"],
    run: (ctx) => forEachName(ctx, ctx.args, (name) => ctx.engine.volumeRemove(name, ctx.flags.bool("force") ? { force: true } : {})),
  },
  {
    paths: [["volume", "prune"]],
    usage: "[OPTIONS]",
    short: "Remove unused local volumes",
    flags: [boolFlag("all", "a", "Remove all unused volumes, not just anonymous ones"), boolFlag("force", "f", "Do not prompt for confirmation")],
    args: { max: 0 },
    run: pruneCommand,
  },
];
