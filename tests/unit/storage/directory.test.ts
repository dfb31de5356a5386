import { mkdtemp, readFile, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { putBlob } from "../../../src/core/content.ts";
import { sha256 } from "../../../src/core/sha256.ts";
import { MediaType } from "../../../src/core/media-types.ts";
import { openDirectoryStorage } from "../../../src/storage/directory.ts";
import { describeStorageConformance } from "./conformance.ts";

async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), "berth-store-"));
}

describeStorageConformance("directory", async () => {
  const root = await tempRoot();
  const storage = await openDirectoryStorage(root);
  return {
    storage,
    // Corrupt the file on disk, as a crash or a stray editor would.
    tamper: (digest, bytes) => writeFile(storage.content.blobPath(digest), bytes),
    reopen: async () => {
      await storage.close();
      return openDirectoryStorage(root);
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describe("directory store layout", () => {
  it("is an OCI image layout: oci-layout, blobs/sha256/<hex>, index.json with ref names", async () => {
    const root = await tempRoot();
    try {
      const storage = await openDirectoryStorage(root);
      const bytes = new TextEncoder().encode('{"schemaVersion":2}');
      const info = await putBlob(storage.content, bytes);
      await storage.refs.setRef("docker.io/library/busybox:latest", {
        mediaType: MediaType.OciManifest,
        digest: info.digest,
        size: info.size,
      });
      expect(JSON.parse(await readFile(join(root, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
      expect(await readFile(join(root, "blobs", "sha256", info.digest.slice(7)))).toEqual(Buffer.from(bytes));
      const index = JSON.parse(await readFile(join(root, "index.json"), "utf8"));
      expect(index).toEqual({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [
          {
            mediaType: MediaType.OciManifest,
            digest: info.digest,
            size: info.size,
            annotations: { "io.containerd.image.name": "docker.io/library/busybox:latest" },
          },
        ],
      });
      // Nothing is left in ingest/ after commits and atomic writes.
      expect(await readdir(join(root, "ingest"))).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("leaves no temp file behind after a failed commit or an abort", async () => {
    const root = await tempRoot();
    try {
      const storage = await openDirectoryStorage(root);
      const w = await storage.content.ingest({ digest: await sha256("other") });
      await w.write(new TextEncoder().encode("data"));
      await expect(w.commit()).rejects.toThrow(/hashes to/);
      const a = await storage.content.ingest();
      await a.write(new TextEncoder().encode("data"));
      await a.abort();
      expect(await readdir(join(root, "ingest"))).toEqual([]);
      expect(await readdir(join(root, "blobs", "sha256"))).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("purges stale ingest files but not those of open writers", async () => {
    const root = await tempRoot();
    try {
      const storage = await openDirectoryStorage(root);
      const open = await storage.content.ingest();
      await open.write(new Uint8Array(10));
      await writeFile(join(root, "ingest", "crashed"), "partial");
      const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
      await utimes(join(root, "ingest", "crashed"), old, old);
      await writeFile(join(root, "ingest", "recent"), "partial");
      expect(await storage.content.purgeIngests()).toBe(1);
      expect((await readdir(join(root, "ingest"))).sort()).toHaveLength(2);
      expect(await storage.content.purgeIngests(0)).toBe(1); // "recent", never the open writer's file
      const info = await open.commit();
      expect(info.size).toBe(10);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
