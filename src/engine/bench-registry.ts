// Registry benchmarks (npm run bench): push an image with a 16 MB layer of
// random bytes to a registry, then pull it into an empty store, through the
// engine's distribution code (the same in Node and in the page's worker).
import { putBlob } from "../core/content.ts";
import { buildLayer } from "../core/layers.ts";
import type { ImageConfig } from "../core/oci.ts";
import type { Engine } from "./engine.ts";

export interface RegistryBenchResult {
  push_mb_s: number;
  pull_mb_s: number;
}

export async function benchRegistry(source: Engine, target: Engine, registryHost: string, mb = 16): Promise<RegistryBenchResult> {
  const data = new Uint8Array(mb * 1024 * 1024);
  for (let off = 0; off < data.length; off += 65536) crypto.getRandomValues(data.subarray(off, off + 65536));
  const layer = await buildLayer([{ path: "data.bin", type: "file", mode: 0o644, data }]);
  await putBlob(source.images.content, layer.gz, { digest: layer.digest, size: layer.size });
  const config: ImageConfig = {
    architecture: "386",
    os: "linux",
    config: { Cmd: ["sh"] },
    rootfs: { type: "layers", diff_ids: [layer.diffId] },
    history: [{ created_by: "bench" }],
  };
  const ref = `${registryHost}/bench/data:${Date.now()}`;
  await source.images.writeImage({ config, layers: [{ descriptor: layer.descriptor, diffId: layer.diffId }], tags: [ref] });
  const sizeMb = layer.size / (1024 * 1024);

  const t0 = performance.now();
  await source.imagePush(ref, {}, () => {});
  const pushMs = performance.now() - t0;

  const t1 = performance.now();
  await target.imagePull(ref, {}, () => {});
  const pullMs = performance.now() - t1;

  return {
    push_mb_s: Math.round((sizeMb / (pushMs / 1000)) * 10) / 10,
    pull_mb_s: Math.round((sizeMb / (pullMs / 1000)) * 10) / 10,
  };
}
