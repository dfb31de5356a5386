// One conformance suite for every ContentStore + RefStore implementation.
//
// Each *.test.ts file calls describeStorageConformance() with a factory for
// its implementation. This file must stay free of node: imports so that the
// browser test runner can run it against IndexedDB for real.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { putBlob, type Storage } from "../../../src/core/content.ts";
import type { Digest } from "../../../src/core/digest.ts";
import { BerthError, type ErrorKind } from "../../../src/core/errors.ts";
import { MediaType } from "../../../src/core/media-types.ts";
import type { Descriptor } from "../../../src/core/oci.ts";
import { sha256 } from "../../../src/core/sha256.ts";

export interface StorageHarness {
  readonly storage: Storage;
  /** Overwrites a stored blob's bytes behind the store's back, keeping its digest. */
  tamper(digest: Digest, bytes: Uint8Array): Promise<void>;
  /** Closes `storage` and opens the same backing store again; omitted if it does not persist. */
  reopen?(): Promise<Storage>;
  /** Removes the backing store (temp dir, database). */
  cleanup?(): Promise<void>;
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);

async function rejection(promise: Promise<unknown>): Promise<BerthError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    return err as BerthError;
  }
  throw new Error("expected the promise to reject");
}

async function expectKind(promise: Promise<unknown>, kind: ErrorKind, message?: RegExp): Promise<BerthError> {
  const err = await rejection(promise);
  expect(err.kind, err.message).toBe(kind);
  if (message) expect(err.message).toMatch(message);
  return err;
}

async function blobOf(bytes: Uint8Array, mediaType: string = MediaType.OciLayer): Promise<Descriptor> {
  return { mediaType, digest: await sha256(bytes), size: bytes.length };
}

export function describeStorageConformance(name: string, factory: () => Promise<StorageHarness>): void {
  describe(`storage conformance: ${name}`, () => {
    let harness: StorageHarness;
    let storage: Storage;

    beforeEach(async () => {
      harness = await factory();
      storage = harness.storage;
    });

    afterEach(async () => {
      await storage.close();
      await harness.cleanup?.();
    });

    describe("content store", () => {
      it("starts empty and reports missing blobs as not-found", async () => {
        const d = await sha256("nothing");
        expect(await storage.content.list()).toEqual([]);
        expect(await storage.content.has(d)).toBe(false);
        await expectKind(storage.content.info(d), "not-found", /not found/);
        await expectKind(storage.content.get(d), "not-found");
        await expectKind(storage.content.delete(d), "not-found");
      });

      it("rejects malformed digests as invalid-argument", async () => {
        const bad = "sha256:xyz" as Digest;
        await expectKind(storage.content.has(bad), "invalid-argument");
        await expectKind(storage.content.get(bad), "invalid-argument");
        await expectKind(storage.content.ingest({ digest: bad }), "invalid-argument");
        await expectKind(storage.content.ingest({ size: -1 }), "invalid-argument");
      });

      it("ingests in pieces and reads back the same bytes", async () => {
        const bytes = randomBytes(200_000);
        const writer = await storage.content.ingest();
        for (let i = 0; i < bytes.length; i += 7_001) await writer.write(bytes.subarray(i, i + 7_001));
        expect(writer.written).toBe(bytes.length);
        const info = await writer.commit();
        expect(info).toEqual({ digest: await sha256(bytes), size: bytes.length });
        expect(await storage.content.has(info.digest)).toBe(true);
        expect(await storage.content.info(info.digest)).toEqual(info);
        expect(await storage.content.get(info.digest)).toEqual(bytes);
      });

      it("stores a blob larger than any internal chunk size", async () => {
        const bytes = randomBytes(5 * 1024 * 1024 + 123);
        const expected = await blobOf(bytes);
        const writer = await storage.content.ingest({ digest: expected.digest, size: expected.size });
        for (let i = 0; i < bytes.length; i += 300_000) await writer.write(bytes.subarray(i, i + 300_000));
        await writer.commit();
        const back = await storage.content.get(expected.digest);
        expect(back.length).toBe(bytes.length);
        expect(await sha256(back)).toBe(expected.digest);
      });

      it("stores the empty blob", async () => {
        const info = await putBlob(storage.content, new Uint8Array(0));
        expect(info).toEqual({
          digest: "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          size: 0,
        });
        expect(await storage.content.get(info.digest)).toEqual(new Uint8Array(0));
      });

      it("checks the digest on commit: a wrong digest stores nothing", async () => {
        const bytes = text("hello");
        const wrong = await sha256("goodbye");
        const writer = await storage.content.ingest({ digest: wrong });
        await writer.write(bytes);
        const err = await expectKind(writer.commit(), "digest-mismatch", /hashes to sha256:/);
        expect(err.details.digest).toBe(wrong);
        expect(await storage.content.has(wrong)).toBe(false);
        expect(await storage.content.has(await sha256(bytes))).toBe(false);
        expect(await storage.content.list()).toEqual([]);
        // The writer is finished; abort after a failed commit is harmless.
        await writer.abort();
        await expectKind(writer.write(bytes), "conflict");
      });

      it("checks the size on commit: too short stores nothing", async () => {
        const bytes = text("hello");
        const writer = await storage.content.ingest({ digest: await sha256(bytes), size: 6 });
        await writer.write(bytes);
        await expectKind(writer.commit(), "digest-mismatch", /expected 6 bytes, got 5/);
        expect(await storage.content.list()).toEqual([]);
      });

      it("checks the size while writing: too long fails early and stores nothing", async () => {
        const writer = await storage.content.ingest({ size: 4 });
        await writer.write(text("abc"));
        await expectKind(writer.write(text("de")), "digest-mismatch", /more than the expected 4 bytes/);
        await expectKind(writer.commit(), "conflict");
        expect(await storage.content.list()).toEqual([]);
      });

      it("a right digest with the wrong size is refused", async () => {
        const bytes = text("hello");
        await expectKind(putBlob(storage.content, bytes, { digest: await sha256(bytes), size: 4 }), "digest-mismatch");
        expect(await storage.content.list()).toEqual([]);
      });

      it("abort discards the ingest and closes the writer", async () => {
        const writer = await storage.content.ingest();
        await writer.write(randomBytes(3000));
        await writer.abort();
        await writer.abort();
        await expectKind(writer.write(text("x")), "conflict");
        await expectKind(writer.commit(), "conflict");
        expect(await storage.content.list()).toEqual([]);
      });

      it("a committed writer cannot be reused", async () => {
        const writer = await storage.content.ingest();
        await writer.write(text("once"));
        await writer.commit();
        await expectKind(writer.write(text("twice")), "conflict");
        await expectKind(writer.commit(), "conflict", /already committed/);
        await writer.abort(); // no effect on the committed blob
        expect(await storage.content.has(await sha256("once"))).toBe(true);
      });

      it("detects a blob tampered with after it was stored and never returns it", async () => {
        const bytes = text("original content");
        const info = await putBlob(storage.content, bytes);
        await harness.tamper(info.digest, text("tampered content"));
        const err = await expectKind(storage.content.get(info.digest), "digest-mismatch");
        expect(err.message).toContain(info.digest);
        // The same length, one bit flipped.
        const flipped = bytes.slice();
        flipped[0]! ^= 1;
        await harness.tamper(info.digest, flipped);
        await expectKind(storage.content.get(info.digest), "digest-mismatch");
        await harness.tamper(info.digest, new Uint8Array(0));
        await expectKind(storage.content.get(info.digest), "digest-mismatch");
      });

      it("returns copies: changing returned or written bytes does not change the blob", async () => {
        const bytes = text("immutable");
        const info = await putBlob(storage.content, bytes);
        bytes[0] = 0;
        const back = await storage.content.get(info.digest);
        back[1] = 0;
        expect(new TextDecoder().decode(await storage.content.get(info.digest))).toBe("immutable");
      });

      it("stores identical blobs once", async () => {
        const bytes = randomBytes(10_000);
        const a = await putBlob(storage.content, bytes);
        const b = await putBlob(storage.content, bytes.slice(), { digest: a.digest, size: a.size });
        expect(b).toEqual(a);
        expect(await storage.content.list()).toEqual([a]);
        expect(await storage.content.get(a.digest)).toEqual(bytes);
      });

      it("concurrent ingests of the same blob both succeed and store it once", async () => {
        const bytes = randomBytes(1_500_000);
        const digest = await sha256(bytes);
        const writers = await Promise.all([1, 2, 3].map(() => storage.content.ingest({ digest, size: bytes.length })));
        // Interleave the writes, with different piece sizes per writer.
        const offsets = writers.map(() => 0);
        while (offsets.some((o) => o < bytes.length)) {
          await Promise.all(
            writers.map(async (w, i) => {
              const step = 100_000 * (i + 1);
              if (offsets[i]! >= bytes.length) return;
              await w.write(bytes.subarray(offsets[i]!, offsets[i]! + step));
              offsets[i]! += step;
            }),
          );
        }
        const infos = await Promise.all(writers.map((w) => w.commit()));
        for (const info of infos) expect(info).toEqual({ digest, size: bytes.length });
        expect(await storage.content.list()).toEqual([{ digest, size: bytes.length }]);
        expect(await sha256(await storage.content.get(digest))).toBe(digest);
      });

      it("concurrent ingests where one fails do not disturb the other", async () => {
        const bytes = randomBytes(50_000);
        const digest = await sha256(bytes);
        const good = await storage.content.ingest({ digest });
        const bad = await storage.content.ingest({ digest });
        await Promise.all([good.write(bytes), bad.write(bytes.subarray(0, 40_000))]);
        const [ok, failed] = await Promise.allSettled([good.commit(), bad.commit()]);
        expect(ok.status).toBe("fulfilled");
        expect(failed.status).toBe("rejected");
        expect(await storage.content.get(digest)).toEqual(bytes);
      });

      it("deletes a blob, and can store it again", async () => {
        const keep = await putBlob(storage.content, text("keep"));
        const gone = await putBlob(storage.content, text("gone"));
        await storage.content.delete(gone.digest);
        expect(await storage.content.has(gone.digest)).toBe(false);
        await expectKind(storage.content.get(gone.digest), "not-found");
        await expectKind(storage.content.delete(gone.digest), "not-found");
        expect(await storage.content.list()).toEqual([keep]);
        await putBlob(storage.content, text("gone"));
        expect(new TextDecoder().decode(await storage.content.get(gone.digest))).toBe("gone");
      });

      it("lists every blob with its size, sorted by digest", async () => {
        const infos = [];
        for (const n of [1, 10, 100, 1000, 0]) infos.push(await putBlob(storage.content, randomBytes(n)));
        const expected = infos.sort((a, b) => (a.digest < b.digest ? -1 : 1));
        expect(await storage.content.list()).toEqual(expected);
      });
    });

    describe("ref store", () => {
      it("refuses a ref to a blob the content store lacks, and creates nothing", async () => {
        const missing = await blobOf(text("manifest not stored"), MediaType.OciManifest);
        await expectKind(storage.refs.setRef("docker.io/library/busybox:latest", missing), "not-found", /write blobs before refs/);
        expect(await storage.refs.getRef("docker.io/library/busybox:latest")).toBeUndefined();
        expect(await storage.refs.listRefs()).toEqual([]);
      });

      it("sets a ref once the blob is stored, and reads it back", async () => {
        const bytes = text('{"schemaVersion":2}');
        const target: Descriptor = { ...(await blobOf(bytes, MediaType.OciManifest)), annotations: { a: "b" } };
        await putBlob(storage.content, bytes);
        await storage.refs.setRef("docker.io/library/busybox:latest", target);
        expect(await storage.refs.getRef("docker.io/library/busybox:latest")).toEqual(target);
        expect(await storage.refs.listRefs()).toEqual([{ name: "docker.io/library/busybox:latest", target }]);
      });

      it("refuses a descriptor whose size differs from the stored blob", async () => {
        const bytes = text("abc");
        await putBlob(storage.content, bytes);
        const target = { ...(await blobOf(bytes)), size: 4 };
        await expectKind(storage.refs.setRef("x", target), "digest-mismatch", /says 4 bytes, stored blob has 3/);
        expect(await storage.refs.getRef("x")).toBeUndefined();
      });

      it("refuses malformed names and descriptors", async () => {
        const target = await blobOf(text("abc"));
        await putBlob(storage.content, text("abc"));
        await expectKind(storage.refs.setRef("", target), "invalid-argument");
        await expectKind(storage.refs.setRef("x", { ...target, digest: "sha256:1" as Digest }), "invalid-argument");
        await expectKind(storage.refs.setRef("x", { ...target, size: -1 }), "invalid-argument");
      });

      it("moves, lists by prefix and deletes refs", async () => {
        const one = await blobOf(text("one"));
        const two = await blobOf(text("two"));
        await putBlob(storage.content, text("one"));
        await putBlob(storage.content, text("two"));
        await storage.refs.setRef("docker.io/library/b:1", one);
        await storage.refs.setRef("docker.io/library/a:1", one);
        await storage.refs.setRef("localhost:5000/c:1", two);
        await storage.refs.setRef("docker.io/library/b:1", two);
        expect((await storage.refs.listRefs()).map((r) => [r.name, r.target.digest])).toEqual([
          ["docker.io/library/a:1", one.digest],
          ["docker.io/library/b:1", two.digest],
          ["localhost:5000/c:1", two.digest],
        ]);
        expect((await storage.refs.listRefs("docker.io/")).map((r) => r.name)).toEqual([
          "docker.io/library/a:1",
          "docker.io/library/b:1",
        ]);
        await storage.refs.deleteRef("docker.io/library/b:1");
        expect(await storage.refs.getRef("docker.io/library/b:1")).toBeUndefined();
        await expectKind(storage.refs.deleteRef("docker.io/library/b:1"), "not-found");
        expect(await storage.refs.listRefs()).toHaveLength(2);
      });

      it("supports compare-and-swap with ifMatch", async () => {
        const one = await blobOf(text("one"));
        const two = await blobOf(text("two"));
        await putBlob(storage.content, text("one"));
        await putBlob(storage.content, text("two"));
        await storage.refs.setRef("r", one, { ifMatch: null });
        await expectKind(storage.refs.setRef("r", two, { ifMatch: null }), "conflict");
        await expectKind(storage.refs.setRef("r", two, { ifMatch: two.digest }), "conflict", /points at sha256:/);
        await storage.refs.setRef("r", two, { ifMatch: one.digest });
        expect((await storage.refs.getRef("r"))?.digest).toBe(two.digest);
      });

      it("returns copies of descriptors", async () => {
        const target = await blobOf(text("one"));
        await putBlob(storage.content, text("one"));
        const mine = { ...target, annotations: { k: "v" } };
        await storage.refs.setRef("r", mine);
        mine.annotations.k = "changed";
        const got = (await storage.refs.getRef("r"))!;
        expect(got.annotations).toEqual({ k: "v" });
      });

      it("keeps metadata records: set, get, list by prefix, overwrite, delete", async () => {
        const entry = { parent: "sha256:abc", layers: [1, 2, 3], ok: true, note: null, n: 1.5 };
        await storage.refs.setMeta("buildcache/step/2", entry);
        await storage.refs.setMeta("buildcache/step/1", "first");
        await storage.refs.setMeta("other", 42);
        expect(await storage.refs.getMeta("buildcache/step/2")).toEqual(entry);
        expect(await storage.refs.getMeta("missing")).toBeUndefined();
        expect(await storage.refs.listMeta("buildcache/")).toEqual([
          { key: "buildcache/step/1", value: "first" },
          { key: "buildcache/step/2", value: entry },
        ]);
        await storage.refs.setMeta("other", { replaced: true });
        expect(await storage.refs.getMeta("other")).toEqual({ replaced: true });
        await storage.refs.deleteMeta("other");
        expect(await storage.refs.getMeta("other")).toBeUndefined();
        await expectKind(storage.refs.deleteMeta("other"), "not-found");
        expect((await storage.refs.listMeta()).map((r) => r.key)).toEqual(["buildcache/step/1", "buildcache/step/2"]);
      });

      it("stores copies of metadata and refuses non-JSON values", async () => {
        const value = { list: [1, 2] };
        await storage.refs.setMeta("k", value);
        value.list.push(3);
        expect(await storage.refs.getMeta("k")).toEqual({ list: [1, 2] });
        const got = (await storage.refs.getMeta("k")) as { list: number[] };
        got.list.push(4);
        expect(await storage.refs.getMeta("k")).toEqual({ list: [1, 2] });
        await expectKind(storage.refs.setMeta("k", { when: new Date() } as never), "invalid-argument");
        await expectKind(storage.refs.setMeta("k", NaN), "invalid-argument");
        await expectKind(storage.refs.setMeta("", 1), "invalid-argument");
        expect(await storage.refs.getMeta("k")).toEqual({ list: [1, 2] });
      });

      it("keeps keys with unusual characters apart", async () => {
        const keys = ["a/b", "a%2Fb", "a b", "ä", "..", "a:b@c", "x".repeat(300)];
        for (const [i, key] of keys.entries()) await storage.refs.setMeta(key, i);
        for (const [i, key] of keys.entries()) expect(await storage.refs.getMeta(key)).toBe(i);
        expect(await storage.refs.listMeta()).toHaveLength(keys.length);
      });
    });

    it("persists blobs, refs and metadata across reopening", async (ctx) => {
      if (harness.reopen === undefined) ctx.skip();
      const bytes = randomBytes(70_000);
      const target = await blobOf(bytes, MediaType.OciManifest);
      await putBlob(storage.content, bytes);
      await storage.refs.setRef("docker.io/library/alpine:3", target);
      await storage.refs.setMeta("cache", { hit: 1 });
      storage = await harness.reopen!();
      expect(await storage.content.get(target.digest)).toEqual(bytes);
      expect(await storage.refs.getRef("docker.io/library/alpine:3")).toEqual(target);
      expect(await storage.refs.getMeta("cache")).toEqual({ hit: 1 });
      expect(await storage.content.list()).toEqual([{ digest: target.digest, size: bytes.length }]);
    });
  });
}
