// Help text in docker's layout (its cobra usage template):
//
//   <blank>
//   Usage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]
//   <blank>
//   Create and run a new container from an image
//   <blank>
//   Aliases:
//     docker container run, docker run
//   <blank>
//   Options:
//     -d, --detach        Run container in background and print container ID
//         --name string   Assign a name to the container
//
// Options are sorted by long name; each line is "  -x, --name type" padded so
// that descriptions line up 3 spaces after the longest, then " (default x)"
// unless the default is the zero value.

import type { CommandDef, GroupDef } from "./command.ts";
import { commandPathString } from "./command.ts";
import type { FlagSpec } from "./flags.ts";

function typeWord(f: FlagSpec): string {
  if (f.typeName !== undefined) return f.typeName;
  switch (f.kind) {
    case "bool":
      return "";
    case "int":
      return "int";
    case "list":
      return "list";
    default:
      return "string";
  }
}

function defaultText(f: FlagSpec): string {
  const d = f.default;
  if (d === undefined || d === false || d === 0 || d === "") return "";
  if (f.kind === "string") return ` (default ${JSON.stringify(d)})`;
  return ` (default ${String(d)})`;
}

/** The Options block: one line per visible flag, aligned. */
export function flagUsages(flags: readonly FlagSpec[]): string {
  const visible = flags.filter((f) => !f.hidden && f.name !== "help").sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const heads = visible.map((f) => {
    const type = typeWord(f);
    return (f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`) + (type ? ` ${type}` : "");
  });
  const width = Math.max(0, ...heads.map((h) => h.length));
  return visible
    .map((f, i) => {
      const head = heads[i]!;
      const usage = (f.usage + defaultText(f)).replace(/\n/g, "\n" + " ".repeat(width + 3));
      return head + " ".repeat(width - head.length + 3) + usage;
    })
    .join("\n");
}

function pad(name: string, width: number): string {
  return name + " ".repeat(Math.max(0, width - name.length) + 1);
}

/** Help for one command called as `path`. */
export function commandHelp(cmd: CommandDef, path: readonly string[]): string {
  const lines: string[] = ["", `Usage:  ${commandPathString(path)}${cmd.usage ? " " + cmd.usage : ""}`, "", cmd.short];
  if (cmd.paths.length > 1) {
    lines.push("", "Aliases:", "  " + cmd.paths.map(commandPathString).join(", "));
  }
  const options = flagUsages(cmd.flags);
  if (options) lines.push("", "Options:", options);
  return lines.join("\n") + "\n";
}

export interface SubcommandEntry {
  name: string;
  short: string;
}

function listing(entries: readonly SubcommandEntry[]): string[] {
  const width = Math.max(11, ...entries.map((e) => e.name.length));
  return [...entries].sort((a, b) => (a.name < b.name ? -1 : 1)).map((e) => `  ${pad(e.name, width)}${e.short}`);
}

/** Help for a management command: docker container. */
export function groupHelp(group: GroupDef, subcommands: readonly SubcommandEntry[]): string {
  const lines = ["", `Usage:  docker ${group.name} COMMAND`, "", group.short, "", "Commands:", ...listing(subcommands), "", `Run 'docker ${group.name} COMMAND --help' for more information on a command.`];
  return lines.join("\n") + "\n";
}

/** docker --help. */
export function rootHelp(opts: {
  description: string;
  common: readonly SubcommandEntry[];
  management: readonly SubcommandEntry[];
  commands: readonly SubcommandEntry[];
  globalFlags: readonly FlagSpec[];
}): string {
  const lines = ["", "Usage:  docker [OPTIONS] COMMAND", "", opts.description, ""];
  // Common commands keep docker's order (most used first); the others are sorted.
  const width = Math.max(11, ...[...opts.common, ...opts.management, ...opts.commands].map((e) => e.name.length));
  lines.push("Common Commands:", ...opts.common.map((e) => `  ${pad(e.name, width)}${e.short}`), "");
  lines.push("Management Commands:", ...listing(opts.management), "");
  lines.push("Commands:", ...listing(opts.commands), "");
  lines.push("Global Options:", flagUsages(opts.globalFlags), "");
  lines.push("Run 'docker COMMAND --help' for more information on a command.");
  return lines.join("\n") + "\n";
}
