// Shared set-up for the registry tests: an engine-side store with the
// bundled busybox, a Distribution over it, and a fetch that counts requests.

import { spawnSync } from "node:child_process";
import { putBlob } from "../../src/core/content.ts";
import type { ProgressMessage } from "../../src/core/engine-api.ts";
import { BerthError } from "../../src/core/errors.ts";
import { buildLayer } from "../../src/core/layers.ts";
import type { ImageConfig } from "../../src/core/oci.ts";
import { importBundledImages } from "../../src/engine/bundled.ts";
import { directoryReader } from "../../src/engine/bundled.node.ts";
import { Distribution, type DistributionOptions } from "../../src/engine/distribution.ts";
import { ImageStore, type ResolvedImage } from "../../src/engine/images.ts";
import { createMemoryStorage } from "../../src/storage/memory.ts";

export interface Recorded {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
}

/** fetch that records every request (method, URL, status). */
export function countingFetch(): { fetch: typeof fetch; requests: Recorded[] } {
  const requests: Recorded[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    requests.push({ method: init?.method ?? "GET", url: String(input), status: response.status, headers });
    return response;
  };
  return { fetch: wrapped, requests };
}

export interface TestEngine {
  images: ImageStore;
  dist: Distribution;
  storage: ReturnType<typeof createMemoryStorage>;
  requests: Recorded[];
}

/** A fresh store (with busybox:latest unless `empty`) and a Distribution over it. */
export async function testEngine(options: { empty?: boolean } & Partial<DistributionOptions> = {}): Promise<TestEngine> {
  const storage = createMemoryStorage();
  const images = new ImageStore(storage.content, storage.refs);
  if (!options.empty) await importBundledImages(images, directoryReader());
  const counting = countingFetch();
  const dist = new Distribution({ fetch: counting.fetch, ...options, images });
  return { images, dist, storage, requests: counting.requests };
}

/** busybox plus a layer with /hello.txt (and /etc/berth), tagged `tag`. */
export async function helloImage(engine: TestEngine, tag: string, text = "hello from berth\n"): Promise<ResolvedImage> {
  const busybox = await engine.images.resolve("busybox:latest");
  const layer = await buildLayer(
    [
      { path: "hello.txt", type: "file", data: text },
      { path: "etc/berth", type: "file", data: "made by the registry tests\n" },
    ],
    { parents: true },
  );
  await putBlob(engine.storage.content, layer.gz, { digest: layer.digest, size: layer.size });
  const created = "2026-01-02T03:04:05Z";
  const config: ImageConfig = {
    ...busybox.config,
    created,
    rootfs: { type: "layers", diff_ids: [...busybox.config.rootfs.diff_ids, layer.diffId] },
    history: [...(busybox.config.history ?? []), { created, created_by: "COPY hello.txt / # registry test" }],
  };
  const layers = busybox.manifest.layers.map((descriptor, i) => ({ descriptor, diffId: busybox.config.rootfs.diff_ids[i]! }));
  return engine.images.writeImage({
    config,
    layers: [...layers, { descriptor: layer.descriptor, diffId: layer.diffId, uncompressedSize: layer.tar.length }],
    tags: [tag],
  });
}

/** Collects progress messages; `lines()` renders them as docker does without a terminal. */
export function progress() {
  const messages: ProgressMessage[] = [];
  return {
    messages,
    on: (m: ProgressMessage) => messages.push(m),
    lines: () => messages.filter((m) => m.progressDetail === undefined).map((m) => (m.id ? `${m.id}: ${m.status}` : m.status)),
  };
}

/** Runs a command; throws with its output if it fails. */
export function run(cmd: string, args: string[], opts: { cwd?: string; allowFail?: boolean } = {}): { stdout: string; stderr: string; status: number } {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  }
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

/** The BerthError a promise rejects with (anything else fails the test). */
export async function rejection(promise: Promise<unknown>): Promise<BerthError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  throw new Error("expected a rejection");
}
