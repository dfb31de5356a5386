// pull, push, login, logout, save, load, import, export (and their
// `image ...` / `container export` forms), with docker's flags and output.
//
// Files: -o/--output and -i/--input go through CliIO.writeFile/readFile (in
// the page: a download and an upload); without -o, save and export write the
// tar to stdout, which docker refuses when stdout is a terminal.

import type { ProgressMessage } from "../../core/engine-api.ts";
import { parseReference } from "../../registry/reference.ts";
import type { CommandContext, CommandDef } from "../command.ts";
import { CliError } from "../errors.ts";
import { readAllStdin, readLine, toText } from "../io.ts";
import { ProgressPrinter } from "../progress.ts";
import { boolFlag, listFlag, localPath, readLocalFile, stringFlag } from "./shared.ts";

const REFUSE_TERMINAL = "cowardly refusing to save to a terminal. Use the -o flag or redirect";

function printer(ctx: CommandContext): (m: ProgressMessage) => void {
  const p = new ProgressPrinter((t) => ctx.out(t), ctx.io.isTTY, ctx.io.columns ?? 80);
  return (m) => p.message(m);
}

/** "Using default tag: latest" when a name has neither tag nor digest. */
function defaultTagNote(ctx: CommandContext, name: string): void {
  let ref;
  try {
    ref = parseReference(name);
  } catch {
    return; // the engine says what is wrong
  }
  if (ref.tag === undefined && ref.digest === undefined) ctx.out("Using default tag: latest\n");
}

async function writeOutput(ctx: CommandContext, file: string, data: Uint8Array): Promise<void> {
  if (file !== "") {
    if (!ctx.io.writeFile) throw new CliError(`open ${file}: writing local files is not available here`);
    try {
      await ctx.io.writeFile(localPath(ctx, file), data);
    } catch (err) {
      throw new CliError(`failed to save to ${file}: ${(err as Error).message}`);
    }
    return;
  }
  if (ctx.io.isTTY) throw new CliError(REFUSE_TERMINAL);
  ctx.out(data);
}

// ---------- pull / push ----------

async function pullCommand(ctx: CommandContext): Promise<number> {
  const name = ctx.args[0]!;
  const quiet = ctx.flags.bool("quiet");
  const allTags = ctx.flags.bool("all-tags");
  if (!allTags && !quiet) defaultTagNote(ctx, name);
  const platform = ctx.flags.string("platform");
  const result = await ctx.engine.imagePull(
    name,
    { ...(platform ? { platform } : {}), ...(allTags ? { allTags } : {}) },
    quiet ? () => {} : printer(ctx),
  );
  ctx.out(`${result.name}\n`);
  return 0;
}

async function pushCommand(ctx: CommandContext): Promise<number> {
  const name = ctx.args[0]!;
  const quiet = ctx.flags.bool("quiet");
  const allTags = ctx.flags.bool("all-tags");
  if (!allTags && !quiet) defaultTagNote(ctx, name);
  const results = await ctx.engine.imagePush(name, allTags ? { allTags } : {}, quiet ? () => {} : printer(ctx));
  if (quiet) {
    const ref = parseReference(name);
    for (const r of results) ctx.out(`${ref.domain}/${ref.path}:${r.tag}\n`);
  }
  return 0;
}

// ---------- login / logout ----------

async function prompt(ctx: CommandContext, question: string): Promise<string | null> {
  ctx.out(question);
  const answer = await readLine(ctx.io);
  return answer === null ? null : answer.trim();
}

async function loginCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const server = ctx.args[0];
  let username = f.string("username").trim();
  let password = f.string("password");
  const fromStdin = f.bool("password-stdin");
  if (f.changed("password")) {
    ctx.err("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    if (fromStdin) throw new CliError("--password and --password-stdin are mutually exclusive");
  }
  if (fromStdin) {
    if (username === "") throw new CliError("Must provide --username with --password-stdin");
    password = toText(await readAllStdin(ctx.io)).replace(/\r?\n$/, "").replace(/\r$/, "");
  }
  if (username === "" || password === "") {
    if (!ctx.io.stdin || (!ctx.io.stdin.isTTY && !ctx.io.stdin.readLine)) {
      throw new CliError("Error: Cannot perform an interactive login from a non TTY device");
    }
    if (username === "") {
      const answer = await prompt(ctx, "Username: ");
      if (answer === null || answer === "") throw new CliError("Error: Non-null Username Required");
      username = answer;
    }
    if (password === "") {
      const answer = await prompt(ctx, "Password: ");
      ctx.out("\n");
      if (answer === null || answer === "") throw new CliError("Error: Password Required");
      password = answer;
    }
  }
  const result = await ctx.engine.registryLogin({ ...(server ? { server } : {}), username, password });
  ctx.out(`${result.status}\n`);
  return 0;
}

async function logoutCommand(ctx: CommandContext): Promise<number> {
  const result = await ctx.engine.registryLogout(ctx.args[0]);
  ctx.out(result.removed ? `Removing login credentials for ${result.server}\n` : `Not logged in to ${result.server}\n`);
  return 0;
}

// ---------- save / load ----------

async function saveCommand(ctx: CommandContext): Promise<number> {
  const output = ctx.flags.string("output");
  const format = ctx.flags.string("format") || "docker";
  if (format !== "docker" && format !== "oci") throw new CliError(`invalid argument "${format}" for "--format" flag: must be "docker" or "oci"`);
  if (output === "" && ctx.io.isTTY) throw new CliError(REFUSE_TERMINAL);
  const data = await ctx.engine.imageSave(ctx.args, { format });
  await writeOutput(ctx, output, data);
  return 0;
}

async function readInput(ctx: CommandContext, file: string): Promise<Uint8Array> {
  if (file !== "" && file !== "-") return readLocalFile(ctx, file);
  const stdin = ctx.io.stdin;
  if (!stdin || stdin.isTTY) throw new CliError("requested load from stdin, but stdin is empty");
  const data = await readAllStdin(ctx.io);
  if (data.length === 0) throw new CliError("requested load from stdin, but stdin is empty");
  return data;
}

async function loadCommand(ctx: CommandContext): Promise<number> {
  const data = await readInput(ctx, ctx.flags.string("input"));
  const loaded = await ctx.engine.imageLoad(data);
  for (const image of loaded) {
    if (image.tags.length === 0) ctx.out(`Loaded image ID: ${image.id}\n`);
    for (const tag of image.tags) ctx.out(`Loaded image: ${tag}\n`);
  }
  return 0;
}

// ---------- import / export ----------

async function importCommand(ctx: CommandContext): Promise<number> {
  const [source, ref] = ctx.args as [string, string | undefined];
  let data: Uint8Array;
  if (/^https?:\/\//i.test(source)) {
    let response: Response;
    try {
      response = await fetch(source);
    } catch (err) {
      throw new CliError(`Error response from daemon: Get "${source}": ${(err as Error).message}`);
    }
    if (!response.ok) throw new CliError(`Error response from daemon: Get "${source}": ${response.status} ${response.statusText}`);
    data = new Uint8Array(await response.arrayBuffer());
  } else if (source === "-") {
    if (!ctx.io.stdin) throw new CliError("Error: no input on stdin");
    data = await readAllStdin(ctx.io);
  } else {
    data = await readLocalFile(ctx, source);
  }
  const changes = ctx.flags.list("change");
  const message = ctx.flags.string("message");
  const platform = ctx.flags.string("platform");
  const result = await ctx.engine.imageImport(data, {
    ...(ref ? { ref } : {}),
    ...(changes.length > 0 ? { changes } : {}),
    ...(message ? { message } : {}),
    ...(platform ? { platform } : {}),
  });
  ctx.out(`${result.id}\n`);
  return 0;
}

async function exportCommand(ctx: CommandContext): Promise<number> {
  const output = ctx.flags.string("output");
  if (output === "" && ctx.io.isTTY) throw new CliError(REFUSE_TERMINAL);
  const data = await ctx.engine.containerExport(ctx.args[0]!);
  await writeOutput(ctx, output, data);
  return 0;
}

const contentTrust = (usage: string) => boolFlag("disable-content-trust", undefined, usage, { default: true });

export const distributionCommands: CommandDef[] = [
  {
    paths: [["image", "pull"], ["pull"]],
    usage: "[OPTIONS] NAME[:TAG|@DIGEST]",
    short: "Download an image from a registry",
    flags: [
      boolFlag("all-tags", "a", "Download all tagged images in the repository"),
      contentTrust("Skip image verification"),
      stringFlag("platform", undefined, "Set platform if server is multi-platform capable"),
      boolFlag("quiet", "q", "Suppress verbose output"),
    ],
    args: { min: 1, max: 1 },
    argKinds: ["image"],
    common: true,
    run: pullCommand,
  },
  {
    paths: [["image", "push"], ["push"]],
    usage: "[OPTIONS] NAME[:TAG]",
    short: "Upload an image to a registry",
    flags: [
      boolFlag("all-tags", "a", "Push all tags of an image to the repository"),
      contentTrust("Skip image signing"),
      boolFlag("quiet", "q", "Suppress verbose output"),
    ],
    args: { min: 1, max: 1 },
    argKinds: ["image"],
    common: true,
    run: pushCommand,
  },
  {
    paths: [["login"]],
    usage: "[OPTIONS] [SERVER]",
    short: "Log in to a registry",
    flags: [
      stringFlag("password", "p", "Password"),
      boolFlag("password-stdin", undefined, "Take the password from stdin"),
      stringFlag("username", "u", "Username"),
    ],
    args: { max: 1 },
    argKinds: ["none"],
    common: true,
    run: loginCommand,
  },
  {
    paths: [["logout"]],
    usage: "[SERVER]",
    short: "Log out from a registry",
    flags: [],
    args: { max: 1 },
    argKinds: ["none"],
    common: true,
    run: logoutCommand,
  },
  {
    paths: [["image", "save"], ["save"]],
    usage: "[OPTIONS] IMAGE [IMAGE...]",
    short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
    flags: [
      stringFlag("format", undefined, 'Archive format: "docker" (docker-archive and OCI layout in one) or "oci" (OCI layout)', {
        default: "docker",
        complete: ["docker", "oci"],
      }),
      stringFlag("output", "o", "Write to a file, instead of STDOUT", { complete: "file" }),
      stringFlag("platform", undefined, "Save only the given platform variant", { hidden: true }),
    ],
    args: { min: 1 },
    argKinds: ["image"],
    run: saveCommand,
  },
  {
    paths: [["image", "load"], ["load"]],
    usage: "[OPTIONS]",
    short: "Load an image from a tar archive or STDIN",
    flags: [
      stringFlag("input", "i", "Read from tar archive file, instead of STDIN", { complete: "file" }),
      boolFlag("quiet", "q", "Suppress the load output"),
    ],
    args: { max: 0 },
    run: loadCommand,
  },
  {
    paths: [["image", "import"], ["import"]],
    usage: "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
    short: "Import the contents from a tarball to create a filesystem image",
    flags: [
      listFlag("change", "c", "Apply Dockerfile instruction to the created image"),
      stringFlag("message", "m", "Set commit message for imported image"),
      stringFlag("platform", undefined, "Set platform if server is multi-platform capable"),
    ],
    args: { min: 1, max: 2 },
    argKinds: ["file", "none"],
    run: importCommand,
  },
  {
    paths: [["container", "export"], ["export"]],
    usage: "[OPTIONS] CONTAINER",
    short: "Export a container's filesystem as a tar archive",
    flags: [stringFlag("output", "o", "Write to a file, instead of STDOUT", { complete: "file" })],
    args: { min: 1, max: 1 },
    argKinds: ["container"],
    run: exportCommand,
  },
];
