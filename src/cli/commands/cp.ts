// docker cp, both ways:
//   docker cp CONTAINER:SRC LOCAL   (LOCAL "-" writes the tar to stdout)
//   docker cp LOCAL CONTAINER:DEST  (LOCAL "-" reads a tar from stdin)
// with docker's rules for names: copying into an existing directory keeps
// the source's name, otherwise the copy takes the destination's name; a
// source ending in "/." copies the directory's contents.

import type { CommandContext, CommandDef } from "../command.ts";
import { CliError } from "../errors.ts";
import { humanSize } from "../format/units.ts";
import { readAllStdin } from "../io.ts";
import { collectEntries, localFs } from "../localfs.ts";
import { basename, dirname, joinPath } from "../paths.ts";
import { readTar, writeTar, type TarEntry } from "../tar.ts";
import { boolFlag, isNotFound, localPath } from "./shared.ts";

/** docker's splitCpArg: "c:/x" → container and path; absolute or ./ paths are local. */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith("/")) return { path: arg };
  const colon = arg.indexOf(":");
  if (colon < 0 || arg.startsWith(".")) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

function contentsOnly(p: string): boolean {
  return p.endsWith("/.") || p === ".";
}

function totalSize(entries: readonly TarEntry[]): number {
  return entries.reduce((n, e) => n + (e.data?.length ?? 0), 0);
}

async function copyFromContainer(ctx: CommandContext, container: string, src: string, dest: string): Promise<number> {
  if (src === "") throw new CliError("error: path cannot be empty");
  const tar = await ctx.engine.containerArchiveGet(container, src);
  if (dest === "-") {
    ctx.out(tar);
    return 0;
  }
  const io = ctx.io;
  if (!io.writeFile || !io.mkdir || !io.stat) throw new CliError("cp: writing local files is not available here");
  const entries = readTar(tar);
  if (entries.length === 0) throw new CliError(`Error: No such container:path: ${container}:${src}`);
  const root = entries[0]!.path.split("/")[0]!;
  const rootIsDir = entries.some((e) => e.path === root && e.type === "dir") || entries.some((e) => e.path.startsWith(root + "/"));
  const destAbs = localPath(ctx, dest);
  const st = await io.stat(destAbs);
  // Where the archive's root goes.
  let target: string;
  if (st?.type === "dir") {
    target = contentsOnly(src) ? destAbs : joinPath(destAbs, root);
  } else if (st) {
    if (rootIsDir) throw new CliError(`cannot overwrite non-directory "${dest}" with directory "${src}"`);
    target = destAbs;
  } else {
    if (dest.endsWith("/") && !rootIsDir) throw new CliError(`destination directory "${dest}" must exist: no such directory`);
    const parent = await io.stat(dirname(destAbs));
    if (!parent || parent.type !== "dir") throw new CliError(`destination directory "${dirname(dest)}" does not exist`);
    target = destAbs;
  }
  for (const e of entries) {
    const rel = e.path === root ? "" : e.path.slice(root.length + 1);
    const out = rel === "" ? target : joinPath(target, rel);
    if (e.type === "dir") {
      if (!(await io.stat(out))) await io.mkdir(out, { mode: e.mode });
    } else if (e.type === "file") {
      await io.writeFile(out, e.data ?? new Uint8Array(), { mode: e.mode, mtimeMs: e.mtime * 1000 });
    } else if (e.type === "symlink") {
      if (!io.symlink) throw new CliError(`cp: cannot create symlink ${out} here`);
      await io.symlink(e.linkTarget ?? "", out);
    }
  }
  if (!ctx.flags.bool("quiet") && ctx.io.isTTY) ctx.err(`Successfully copied ${humanSize(totalSize(entries))} to ${dest}\n`);
  return 0;
}

/** What is at `path` in the container: "dir", "file" or null (not there). */
async function containerPathKind(ctx: CommandContext, container: string, path: string): Promise<"dir" | "file" | null> {
  try {
    const entries = readTar(await ctx.engine.containerArchiveGet(container, path));
    const first = entries[0];
    if (!first) return null;
    return first.type === "dir" || entries.length > 1 ? "dir" : "file";
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

async function copyToContainer(ctx: CommandContext, src: string, container: string, dest: string): Promise<number> {
  if (dest === "") throw new CliError("error: path cannot be empty");
  if (src === "-") {
    const tar = await readAllStdin(ctx.io);
    await ctx.engine.containerArchivePut(container, dest, tar);
    return 0;
  }
  const fs = localFs(ctx.io, "cp");
  const srcAbs = localPath(ctx, src);
  let st = await fs.stat(srcAbs);
  if (!st) throw new CliError(`lstat ${srcAbs}: no such file or directory`);
  let from = srcAbs;
  if (st.type === "symlink" && ctx.flags.bool("follow-link") && st.linkTarget) {
    from = st.linkTarget.startsWith("/") ? st.linkTarget : joinPath(dirname(srcAbs), st.linkTarget);
    st = await fs.stat(from);
    if (!st) throw new CliError(`lstat ${from}: no such file or directory`);
  }
  const srcIsDir = st.type === "dir";
  const kind = await containerPathKind(ctx, container, dest);
  let putAt: string;
  let rootName: string;
  if (kind === "dir") {
    putAt = dest;
    rootName = srcIsDir && contentsOnly(src) ? "." : basename(srcAbs);
  } else if (kind === "file") {
    if (srcIsDir) throw new CliError(`cannot copy directory to file: ${container}:${dest}`);
    putAt = dirname(dest);
    rootName = basename(dest);
  } else {
    if (dest.endsWith("/") && !srcIsDir) throw new CliError(`destination directory "${container}:${dest}" must exist: no such directory`);
    putAt = dirname(dest);
    rootName = basename(dest);
  }
  const entries = await collectEntries(fs, from, rootName);
  await ctx.engine.containerArchivePut(container, putAt, writeTar(entries));
  if (!ctx.flags.bool("quiet") && ctx.io.isTTY) ctx.err(`Successfully copied ${humanSize(totalSize(entries))} to ${container}:${dest}\n`);
  return 0;
}

async function cpCommand(ctx: CommandContext): Promise<number> {
  const [a, b] = ctx.args as [string, string];
  const src = splitCpArg(a);
  const dst = splitCpArg(b);
  if (src.container !== undefined && dst.container !== undefined) throw new CliError("copying between containers is not supported");
  if (src.container === undefined && dst.container === undefined) throw new CliError("must specify at least one container source");
  if (src.container !== undefined) return copyFromContainer(ctx, src.container, src.path, dst.path);
  return copyToContainer(ctx, src.path, dst.container!, dst.path);
}

export const cpCommands: CommandDef[] = [
  {
    paths: [["container", "cp"], ["cp"]],
    usage: "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
    short: "Copy files/folders between a container and the local filesystem",
    flags: [
      boolFlag("archive", "a", "Archive mode (copy all uid/gid information)"),
      boolFlag("follow-link", "L", "Always follow symbol link in SRC_PATH"),
      boolFlag("quiet", "q", "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached"),
    ],
    args: { min: 2, max: 2 },
    argKinds: ["container", "file"],
    run: cpCommand,
  },
];
