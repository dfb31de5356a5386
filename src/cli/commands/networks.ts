// docker network create | ls | inspect | rm | connect | disconnect | prune

import type { NetworkInfo } from "../../core/engine-api.ts";
import type { CommandContext, CommandDef } from "../command.ts";
import { CliError } from "../errors.ts";
import { networkInspectJson } from "../format/inspect.ts";
import { renderList, type ListFormat } from "../format/list.ts";
import { shortId } from "../format/table.ts";
import { asStruct } from "../format/template.ts";
import { goTimeString } from "../format/time.ts";
import { checkFilterKeys, parseFilters, parseLabels } from "../opts/misc.ts";
import { inspectAndPrint } from "./inspect.ts";
import { FORMAT_JSON_USAGE, boolFlag, confirm, filterFlag, forEachName, formatFlag, listFlag, stringFlag, usage } from "./shared.ts";

export function networkFormat(trunc: boolean): ListFormat<NetworkInfo> {
  return {
    defaultTable: "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
    quietFormat: "{{.ID}}",
    headers: { ID: "NETWORK ID", Name: "NAME", Driver: "DRIVER", Scope: "SCOPE", IPv6: "IPV6", Internal: "INTERNAL", Labels: "LABELS", CreatedAt: "CREATED AT" },
    context: (n) =>
      asStruct(
        {
          ID: trunc ? shortId(n.id) : n.id,
          Name: n.name,
          Driver: n.driver,
          Scope: n.scope,
          IPv6: "false",
          Internal: String(n.internal),
          Labels: "",
          CreatedAt: goTimeString(n.created),
        },
        "*formatter.networkContext",
      ),
  };
}

async function lsCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const filters = usage(() => parseFilters(f.list("filter")));
  usage(() => checkFilterKeys(filters, ["driver", "id", "name", "scope", "type"]));
  let networks = await ctx.engine.networkList();
  if (filters.name) networks = networks.filter((n) => filters.name!.some((x) => n.name.includes(x)));
  if (filters.id) networks = networks.filter((n) => filters.id!.some((x) => n.id.startsWith(x)));
  if (filters.driver) networks = networks.filter((n) => filters.driver!.includes(n.driver));
  if (filters.scope) networks = networks.filter((n) => filters.scope!.includes(n.scope));
  if (filters.type) {
    const builtin = (n: NetworkInfo) => ["bridge", "host", "none"].includes(n.name);
    networks = networks.filter((n) => filters.type!.some((t) => (t === "builtin" ? builtin(n) : t === "custom" ? !builtin(n) : false)));
  }
  networks = [...networks].sort((a, b) => a.name.localeCompare(b.name));
  ctx.out(renderList(networkFormat(!f.bool("no-trunc")), networks, { format: f.string("format"), quiet: f.bool("quiet"), warn: (t) => ctx.err(t) }));
  return 0;
}

async function createCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  if (f.string("driver") !== "bridge") throw new CliError(`Error response from daemon: plugin "${f.string("driver")}" not found (only the bridge driver can be created)`);
  const subnets = f.list("subnet");
  if (subnets.length > 1) throw new CliError("only one --subnet is supported here");
  const labels = usage(() => parseLabels(f.list("label")));
  const n = await ctx.engine.networkCreate({
    name: ctx.args[0]!,
    ...(f.bool("internal") ? { internal: true } : {}),
    ...(subnets[0] ? { subnet: subnets[0] } : {}),
    ...(Object.keys(labels).length ? { labels } : {}),
  });
  ctx.out(`${n.id}\n`);
  return 0;
}

async function pruneCommand(ctx: CommandContext): Promise<number> {
  if (!ctx.flags.bool("force") && !(await confirm(ctx, "WARNING! This will remove all custom networks not used by at least one container."))) return 0;
  const result = await ctx.engine.networkPrune();
  if (result.deleted.length > 0) ctx.out(`Deleted Networks:\n${result.deleted.join("\n")}\n`);
  return 0;
}

export const networkCommands: CommandDef[] = [
  {
    paths: [["network", "create"]],
    usage: "[OPTIONS] NETWORK",
    short: "Create a network",
    flags: [
      stringFlag("driver", "d", "Driver to manage the Network", { default: "bridge", complete: ["bridge"] }),
      boolFlag("internal", undefined, "Restrict external access to the network"),
      listFlag("label", undefined, "Set metadata on a network"),
      listFlag("subnet", undefined, "Subnet in CIDR format that represents a network segment", { typeName: "strings" }),
    ],
    args: { min: 1, max: 1 },
    run: createCommand,
  },
  {
    paths: [["network", "ls"], ["network", "list"]],
    usage: "[OPTIONS]",
    short: "List networks",
    flags: [
      filterFlag('Provide filter values (e.g. "driver=bridge")'),
      formatFlag(),
      boolFlag("no-trunc", undefined, "Do not truncate the output"),
      boolFlag("quiet", "q", "Only display network IDs"),
    ],
    args: { max: 0 },
    run: lsCommand,
  },
  {
    paths: [["network", "inspect"]],
    usage: "[OPTIONS] NETWORK [NETWORK...]",
    short: "Display detailed information on one or more networks",
    flags: [formatFlag("f", FORMAT_JSON_USAGE)],
    args: { min: 1 },
    argKinds: ["network"],
    run: (ctx) => inspectAndPrint(ctx, ctx.args, async (name) => networkInspectJson(await ctx.engine.networkInspect(name)), ctx.flags.string("format")),
  },
  {
    paths: [["network", "rm"], ["network", "remove"]],
    usage: "NETWORK [NETWORK...]",
    short: "Remove one or more networks",
    flags: [],
    args: { min: 1 },
    argKinds: ["network"],
    run: (ctx) => forEachName(ctx, ctx.args, (name) => ctx.engine.networkRemove(name)),
  },
  {
    paths: [["network", "connect"]],
    usage: "[OPTIONS] NETWORK CONTAINER",
    short: "Connect a container to a network",
    flags: [listFlag("alias", undefined, "Add network-scoped alias for the container", { typeName: "strings" })],
    args: { min: 2, max: 2 },
    argKinds: ["network", "container"],
    run: async (ctx) => {
      const aliases = ctx.flags.list("alias");
      await ctx.engine.networkConnect(ctx.args[0]!, ctx.args[1]!, aliases.length ? { aliases } : {});
      return 0;
    },
  },
  {
    paths: [["network", "disconnect"]],
    usage: "[OPTIONS] NETWORK CONTAINER",
    short: "Disconnect a container from a network",
    flags: [boolFlag("force", "f", "Force the container to disconnect from a network")],
    args: { min: 2, max: 2 },
    argKinds: ["network", "container"],
    run: async (ctx) => {
      await ctx.engine.networkDisconnect(ctx.args[0]!, ctx.args[1]!, ctx.flags.bool("force") ? { force: true } : {});
      return 0;
    },
  },
  {
    paths: [["network", "prune"]],
    usage: "[OPTIONS]",
    short: "Remove all unused networks",
    flags: [boolFlag("force", "f", "Do not prompt for confirmation")],
    args: { max: 0 },
    run: pruneCommand,
  },
];
