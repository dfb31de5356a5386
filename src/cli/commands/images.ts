// images / image ls, image inspect, rmi / image rm, tag, history, image prune.

import type { ImageInspect, ImageSummary } from "../../core/engine-api.ts";
import { familiarName, familiarString, parseReference, type ImageReference } from "../../registry/reference.ts";
import type { CommandContext, CommandDef } from "../command.ts";
import { CliError } from "../errors.ts";
import { imageInspectJson } from "../format/inspect.ts";
import { renderList, type ListFormat } from "../format/list.ts";
import { ellipsis, shortId } from "../format/table.ts";
import { asStruct } from "../format/template.ts";
import { goTimeString, rfc3339Seconds } from "../format/time.ts";
import { humanSize, timeAgo } from "../format/units.ts";
import { checkFilterKeys, parseFilters } from "../opts/misc.ts";
import { inspectAndPrint } from "./inspect.ts";
import { FORMAT_JSON_USAGE, boolFlag, confirm, filterFlag, forEachName, formatFlag, usage } from "./shared.ts";

// ---------- images ----------

interface ImageRow {
  image: ImageSummary;
  repository: string;
  tag: string;
  digest: string;
}

function splitRepoTag(repoTag: string): { repository: string; tag: string } {
  const at = repoTag.indexOf("@");
  const name = at >= 0 ? repoTag.slice(0, at) : repoTag;
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repository: name, tag: "<none>" };
}

/** One row per repository:tag, "<none>" rows for dangling images, as docker images lists them. */
export function imageRows(images: readonly ImageSummary[]): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const image of images) {
    const digestFor = (repo: string) => {
      const d = image.repoDigests.find((rd) => rd.startsWith(repo + "@"));
      return d ? d.slice(d.indexOf("@") + 1) : "<none>";
    };
    if (image.repoTags.length === 0) {
      if (image.repoDigests.length > 0) {
        for (const rd of image.repoDigests) {
          const repo = rd.slice(0, rd.indexOf("@"));
          rows.push({ image, repository: repo, tag: "<none>", digest: rd.slice(rd.indexOf("@") + 1) });
        }
      } else rows.push({ image, repository: "<none>", tag: "<none>", digest: "<none>" });
      continue;
    }
    for (const rt of image.repoTags) {
      const { repository, tag } = splitRepoTag(rt);
      rows.push({ image, repository, tag, digest: digestFor(repository) });
    }
  }
  return rows.sort(
    (a, b) => Date.parse(b.image.created) - Date.parse(a.image.created) || a.repository.localeCompare(b.repository) || a.tag.localeCompare(b.tag),
  );
}

export function imagesFormat(now: number, trunc: boolean, digests: boolean): ListFormat<ImageRow> {
  return {
    defaultTable: digests
      ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
      : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
    quietFormat: "{{.ID}}",
    headers: {
      ID: "IMAGE ID",
      Repository: "REPOSITORY",
      Tag: "TAG",
      Digest: "DIGEST",
      CreatedSince: "CREATED",
      CreatedAt: "CREATED AT",
      Size: "SIZE",
      Containers: "CONTAINERS",
      SharedSize: "SHARED SIZE",
      UniqueSize: "UNIQUE SIZE",
      VirtualSize: "SIZE",
    },
    context: (r) =>
      asStruct(
        {
          ID: trunc ? shortId(r.image.id) : r.image.id,
          Repository: r.repository,
          Tag: r.tag,
          Digest: r.digest,
          CreatedSince: timeAgo(r.image.created, now),
          CreatedAt: goTimeString(r.image.created),
          Size: humanSize(r.image.size, 3),
          VirtualSize: humanSize(r.image.size, 3),
          Containers: r.image.containers < 0 ? "N/A" : String(r.image.containers),
          SharedSize: "N/A",
          UniqueSize: "N/A",
        },
        "*formatter.imageContext",
      ),
  };
}

/** Go's path.Match for one reference pattern ("busy*", "busybox:1.*"). */
export function globMatch(pattern: string, text: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 1);
      if (close < 0) return false;
      let cls = pattern.slice(i + 1, close);
      if (cls.startsWith("^")) cls = "!" + cls.slice(1);
      re += "[" + (cls.startsWith("!") ? "^" + cls.slice(1) : cls).replace(/\\/g, "\\\\") + "]";
      i = close;
    } else if (c === "\\" && i + 1 < pattern.length) re += "\\" + pattern[++i];
    else re += c.replace(/[.+^${}()|\]\\]/g, "\\$&");
  }
  try {
    return new RegExp(re + "$").test(text);
  } catch {
    return false;
  }
}

/** docker's reference filter: the pattern against the familiar name, and name:tag. */
function referenceMatches(pattern: string, repoTag: string): boolean {
  let ref: ImageReference;
  try {
    ref = parseReference(repoTag);
  } catch {
    return false;
  }
  return globMatch(pattern, familiarName(ref)) || globMatch(pattern, familiarString(ref));
}

async function imagesCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const filters = usage(() => parseFilters(f.list("filter")));
  usage(() => checkFilterKeys(filters, ["dangling", "reference", "before", "since", "label"]));
  if (ctx.args[0]) (filters.reference ??= []).push(ctx.args[0]);
  const dangling = filters.dangling?.[0];
  if (dangling !== undefined && !["true", "false", "1", "0"].includes(dangling.toLowerCase())) {
    throw new CliError(`Error response from daemon: invalid filter 'dangling=${dangling}'`);
  }
  if (filters.label) throw new CliError("the 'label' filter for images is not available yet");
  const danglingOnly = dangling === "true" || dangling === "1";
  let images = await ctx.engine.imageList({ ...(f.bool("all") ? { all: true } : {}), ...(danglingOnly ? { danglingOnly: true } : {}) });
  if (dangling === "false" || dangling === "0") images = images.filter((i) => i.repoTags.length > 0);
  if (danglingOnly) images = images.filter((i) => i.repoTags.length === 0);
  for (const key of ["before", "since"] as const) {
    for (const ref of filters[key] ?? []) {
      const pivot = await ctx.engine.imageInspect(ref);
      const t = Date.parse(pivot.created);
      images = images.filter((i) => (key === "before" ? Date.parse(i.created) < t : Date.parse(i.created) > t));
    }
  }
  let rows = imageRows(images);
  const refs = filters.reference;
  if (refs) rows = rows.filter((r) => r.repository !== "<none>" && refs.some((p) => referenceMatches(p, `${r.repository}:${r.tag === "<none>" ? "latest" : r.tag}`)));
  ctx.out(
    renderList(imagesFormat(ctx.now(), !f.bool("no-trunc"), f.bool("digests")), rows, {
      format: f.string("format"),
      quiet: f.bool("quiet"),
      warn: (t) => ctx.err(t),
    }),
  );
  return 0;
}

// ---------- history ----------

interface HistoryRow {
  id: string;
  created: string;
  createdBy: string;
  size: number;
  comment: string;
}

export function historyRows(image: ImageInspect): HistoryRow[] {
  const steps =
    image.layers.length > 0
      ? image.layers.map((l) => ({ h: l.history, size: l.size }))
      : image.history.map((h) => ({ h, size: 0 }));
  const rows = steps.map((s) => ({ id: "<missing>", created: s.h.created ?? "", createdBy: s.h.created_by ?? "", size: s.size, comment: s.h.comment ?? "" }));
  rows.reverse();
  if (rows.length > 0) rows[0]!.id = image.id;
  else rows.push({ id: image.id, created: image.created, createdBy: "", size: image.size, comment: "" });
  return rows;
}

export function historyFormat(now: number, trunc: boolean, human: boolean): ListFormat<HistoryRow> {
  return {
    defaultTable: "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
    quietFormat: "{{.ID}}",
    headers: { ID: "IMAGE", CreatedSince: "CREATED", CreatedAt: "CREATED AT", CreatedBy: "CREATED BY", Size: "SIZE", Comment: "COMMENT" },
    context: (r) => {
      const createdBy = r.createdBy.replace(/\t/g, " ");
      return asStruct(
        {
          ID: r.id === "<missing>" ? r.id : trunc ? shortId(r.id) : r.id,
          CreatedSince: human ? timeAgo(r.created, now) : rfc3339Seconds(r.created),
          CreatedAt: rfc3339Seconds(r.created),
          CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
          Size: human ? humanSize(r.size, 3) : String(r.size),
          Comment: r.comment,
        },
        "*formatter.historyContext",
      );
    },
  };
}

async function historyCommand(ctx: CommandContext): Promise<number> {
  const f = ctx.flags;
  const image = await ctx.engine.imageInspect(ctx.args[0]!);
  let rows = historyRows(image);
  if (f.bool("quiet")) rows = rows.filter((r) => r.id !== "<missing>");
  ctx.out(renderList(historyFormat(ctx.now(), !f.bool("no-trunc"), f.bool("human")), rows, { format: f.string("format"), quiet: f.bool("quiet"), warn: (t) => ctx.err(t) }));
  return 0;
}

// ---------- rmi, tag, prune ----------

async function rmiCommand(ctx: CommandContext): Promise<number> {
  const force = ctx.flags.bool("force");
  return forEachName(
    ctx,
    ctx.args,
    async (name) => {
      const results = await ctx.engine.imageRemove(name, force ? { force } : {});
      for (const r of results) {
        if (r.untagged) ctx.out(`Untagged: ${r.untagged}\n`);
        if (r.deleted) ctx.out(`Deleted: ${r.deleted}\n`);
      }
    },
    { echo: false },
  );
}

async function tagCommand(ctx: CommandContext): Promise<number> {
  const [source, target] = ctx.args as [string, string];
  try {
    parseReference(target);
  } catch (err) {
    throw new CliError(`Error parsing reference: ${JSON.stringify(target)} is not a valid repository/tag: ${(err as Error).message}`);
  }
  await ctx.engine.imageTag(source, target);
  return 0;
}

async function imagePruneCommand(ctx: CommandContext): Promise<number> {
  const all = ctx.flags.bool("all");
  const warning = all
    ? "WARNING! This will remove all images without at least one container associated to them."
    : "WARNING! This will remove all dangling images.";
  if (!ctx.flags.bool("force") && !(await confirm(ctx, warning))) return 0;
  const result = await ctx.engine.imagePrune(all ? { all } : {});
  if (result.deleted.length > 0) ctx.out(`Deleted Images:\n${result.deleted.map((d) => `deleted: ${d}`).join("\n")}\n\n`);
  ctx.out(`Total reclaimed space: ${humanSize(result.spaceReclaimed)}\n`);
  return 0;
}

export const imageCommands: CommandDef[] = [
  {
    paths: [["image", "ls"], ["image", "list"], ["images"]],
    usage: "[OPTIONS] [REPOSITORY[:TAG]]",
    short: "List images",
    flags: [
      boolFlag("all", "a", "Show all images (default hides intermediate images)"),
      boolFlag("digests", undefined, "Show digests"),
      filterFlag(),
      formatFlag(),
      boolFlag("no-trunc", undefined, "Don't truncate output"),
      boolFlag("quiet", "q", "Only show image IDs"),
    ],
    args: { max: 1 },
    argKinds: ["image"],
    common: true,
    run: imagesCommand,
  },
  {
    paths: [["image", "inspect"]],
    usage: "[OPTIONS] IMAGE [IMAGE...]",
    short: "Display detailed information on one or more images",
    flags: [formatFlag("f", FORMAT_JSON_USAGE)],
    args: { min: 1 },
    argKinds: ["image"],
    run: (ctx) => inspectAndPrint(ctx, ctx.args, async (name) => imageInspectJson(await ctx.engine.imageInspect(name)), ctx.flags.string("format")),
  },
  {
    paths: [["image", "rm"], ["image", "remove"], ["rmi"]],
    usage: "[OPTIONS] IMAGE [IMAGE...]",
    short: "Remove one or more images",
    flags: [boolFlag("force", "f", "Force removal of the image")],
    args: { min: 1 },
    argKinds: ["image"],
    run: rmiCommand,
  },
  {
    paths: [["image", "tag"], ["tag"]],
    usage: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
    short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
    flags: [],
    args: { min: 2, max: 2 },
    argKinds: ["image", "none"],
    run: tagCommand,
  },
  {
    paths: [["image", "history"], ["history"]],
    usage: "[OPTIONS] IMAGE",
    short: "Show the history of an image",
    flags: [
      formatFlag(),
      boolFlag("human", "H", "Print sizes and dates in human readable format", { default: true }),
      boolFlag("no-trunc", undefined, "Don't truncate output"),
      boolFlag("quiet", "q", "Only show image IDs"),
    ],
    args: { min: 1, max: 1 },
    argKinds: ["image"],
    run: historyCommand,
  },
  {
    paths: [["image", "prune"]],
    usage: "[OPTIONS]",
    short: "Remove unused images",
    flags: [boolFlag("all", "a", "Remove all unused images, not just dangling ones"), boolFlag("force", "f", "Do not prompt for confirmation")],
    args: { max: 0 },
    run: imagePruneCommand,
  },
];
