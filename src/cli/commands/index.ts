// Every command, and the management groups they live in.

import type { CommandDef, GroupDef } from "../command.ts";
import { buildCommands } from "./build.ts";
import { containerCommands } from "./containers.ts";
import { cpCommands } from "./cp.ts";
import { distributionCommands } from "./distribution.ts";
import { imageCommands } from "./images.ts";
import { networkCommands } from "./networks.ts";
import { runCommands } from "./run.ts";
import { systemCommands } from "./system.ts";
import { volumeCommands } from "./volumes.ts";

export const COMMANDS: readonly CommandDef[] = [
  ...runCommands,
  ...containerCommands,
  ...cpCommands,
  ...imageCommands,
  ...distributionCommands,
  ...buildCommands,
  ...volumeCommands,
  ...networkCommands,
  ...systemCommands,
];

export const GROUPS: readonly GroupDef[] = [
  { name: "builder", short: "Manage builds" },
  { name: "container", short: "Manage containers" },
  { name: "image", short: "Manage images" },
  { name: "network", short: "Manage networks" },
  { name: "system", short: "Manage Docker" },
  { name: "volume", short: "Manage volumes" },
];

/** docker --help lists these first, in this order. */
export const COMMON_ORDER = ["run", "exec", "ps", "build", "pull", "push", "images", "login", "logout", "version", "info"];
