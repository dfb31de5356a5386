// The build cache, with Docker's rules: a step is reused when its parent
// (the chain of steps before it, rooted at the base image's id) and its
// instruction (after expansion, with the environment a RUN sees) match; for
// COPY and ADD the copied files' contents and modes count too. Keys are
// digests of those inputs only. A record keeps what the step produced: its
// layer (if any) and the image config after it.
//
// Records also remember their inputs, so that a miss can say why: which file
// changed, which instruction changed, or that an earlier step changed.
import type { ContentStore, JsonValue, RefStore } from "../core/content.ts";
import type { Digest } from "../core/digest.ts";
import type { ImageConfig } from "../core/oci.ts";
import { sha256 } from "../core/sha256.ts";

const RECORD = "buildcache/record/";
const CHILDREN = "buildcache/children/";

export interface CachedLayer {
  digest: Digest;
  diffId: Digest;
  size: number;
  mediaType: string;
}

export interface CacheRecord {
  key: string;
  parent: string;
  /** The instruction as it went into the key (expanded, with its RUN environment). */
  instruction: string;
  /** The instruction as the user wrote it, for messages. */
  display?: string;
  /** RUN: the environment it saw (KEY=value), for messages. */
  env?: string[];
  /** COPY/ADD: each source file's digest (or "dir:mode"). */
  files?: Record<string, string>;
  layer?: CachedLayer;
  config: ImageConfig;
  created: string;
}

const hex = (d: string) => d.replace(/^sha256:/, "");

export class BuildCache {
  constructor(
    private readonly refs: RefStore,
    private readonly content: ContentStore,
  ) {}

  async key(parent: string, instruction: string, filesDigest?: string): Promise<string> {
    return sha256(JSON.stringify({ parent, instruction, files: filesDigest ?? null }));
  }

  /** The record for a key, if it and its layer blob are still there. */
  async get(key: string): Promise<CacheRecord | undefined> {
    const rec = (await this.refs.getMeta(RECORD + hex(key))) as CacheRecord | undefined;
    if (!rec) return undefined;
    if (rec.layer && !(await this.content.has(rec.layer.digest))) return undefined;
    return rec;
  }

  /** Stores a record; its layer blob must already be in the content store. */
  async put(rec: CacheRecord): Promise<void> {
    // Plain JSON only: fields left undefined are dropped.
    await this.refs.setMeta(RECORD + hex(rec.key), JSON.parse(JSON.stringify(rec)) as JsonValue);
    const childrenKey = CHILDREN + hex(rec.parent);
    const children = ((await this.refs.getMeta(childrenKey)) as string[] | undefined) ?? [];
    if (!children.includes(rec.key)) await this.refs.setMeta(childrenKey, [...children, rec.key].slice(-20));
  }

  /**
   * Why a step missed: compares it with the steps cached after the same
   * parent. Returns a sentence for the build output.
   */
  async explainMiss(
    parent: string,
    step: { instruction: string; display: string; env?: string[]; files?: Record<string, string> },
    parentMissed = false,
  ): Promise<string> {
    if (parentMissed) return "an earlier step changed, so this one runs again";
    const children = ((await this.refs.getMeta(CHILDREN + hex(parent))) as string[] | undefined) ?? [];
    const siblings: CacheRecord[] = [];
    for (const k of children) {
      const rec = (await this.refs.getMeta(RECORD + hex(k))) as CacheRecord | undefined;
      if (rec) siblings.push(rec);
    }
    if (siblings.length === 0) return "no earlier build of this step";
    const same = siblings.filter((s) => s.instruction === step.instruction).reverse();
    if (same.length > 0) {
      const prev = same[0];
      if (step.files && prev.files) {
        const changed: string[] = [];
        for (const [path, sum] of Object.entries(step.files)) {
          if (!(path in prev.files)) changed.push(`${path} (new)`);
          else if (prev.files[path] !== sum) changed.push(`${path} (${describeChange(prev.files[path], sum)})`);
        }
        for (const path of Object.keys(prev.files)) if (!(path in step.files)) changed.push(`${path} (removed)`);
        if (changed.length > 0) {
          const shown = changed.slice(0, 5).join(", ");
          return `files changed: ${shown}${changed.length > 5 ? ` and ${changed.length - 5} more` : ""}`;
        }
      }
      return "its cached result is gone (pruned)";
    }
    // Same words, different environment: a build arg or ENV changed.
    const sameText = siblings.filter((s) => s.display === step.display).reverse()[0];
    if (sameText && sameText.env && step.env) {
      const before = new Set(sameText.env);
      const after = new Set(step.env);
      const diff = [
        ...step.env.filter((e) => !before.has(e)).map((e) => `${e}`),
        ...sameText.env.filter((e) => !after.has(e) && !step.env!.some((n) => n.split("=")[0] === e.split("=")[0])).map((e) => `-${e.split("=")[0]}`),
      ];
      if (diff.length > 0) return `build args or environment changed: ${diff.slice(0, 5).join(", ")}`;
    }
    const prev = siblings[siblings.length - 1];
    return `instruction changed: was \`${summarize(prev.display ?? prev.instruction)}\``;
  }

  /** Deletes every record (docker builder prune). Layers stay until no image uses them. */
  async prune(): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const deleted: string[] = [];
    let space = 0;
    for (const m of await this.refs.listMeta("buildcache/")) {
      const rec = m.value as unknown as CacheRecord;
      if (m.key.startsWith(RECORD)) {
        deleted.push(rec.key);
        space += rec.layer?.size ?? 0;
      }
      await this.refs.deleteMeta(m.key);
    }
    return { deleted, spaceReclaimed: space };
  }

  async count(): Promise<{ count: number; size: number }> {
    const recs = await this.refs.listMeta(RECORD);
    let size = 0;
    for (const m of recs) size += (m.value as unknown as CacheRecord).layer?.size ?? 0;
    return { count: recs.length, size };
  }
}

function describeChange(before: string, after: string): string {
  const [mb] = before.split(":");
  const [ma] = after.split(":");
  if (mb !== ma) return `mode ${mb} -> ${ma}`;
  return "contents";
}

function summarize(instruction: string): string {
  const firstLine = instruction.split("\n")[0];
  return firstLine.length > 80 ? firstLine.slice(0, 77) + "..." : firstLine;
}
