import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { openIdbStorage } from "../../../src/storage/idb.ts";
import { describeStorageConformance } from "./conformance.ts";

// A fresh fake IndexedDB per test, so tests cannot see each other's data.
describeStorageConformance("indexeddb (fake-indexeddb)", async () => {
  const indexedDB = new IDBFactory();
  const open = () => openIdbStorage({ name: "berth-test", indexedDB, IDBKeyRange });
  const storage = await open();
  return {
    storage,
    tamper: (digest, bytes) => storage.content.corruptForTesting(digest, bytes),
    reopen: async () => {
      await storage.close();
      return open();
    },
  };
});

describe("indexeddb store", () => {
  it("purges chunks of abandoned ingests but not of open ones", async () => {
    const indexedDB = new IDBFactory();
    const first = await openIdbStorage({ name: "b", indexedDB, IDBKeyRange });
    // An ingest that flushed chunks and was then abandoned (tab closed).
    const abandoned = await first.content.ingest();
    await abandoned.write(new Uint8Array(3 << 20));
    await first.close();

    const second = await openIdbStorage({ name: "b", indexedDB, IDBKeyRange });
    const open = await second.content.ingest();
    await open.write(new Uint8Array(2 << 20).fill(1));
    expect(await second.content.purgeIngests()).toBe(0); // not old enough
    expect(await second.content.purgeIngests(0)).toBe(1); // the abandoned one only
    const info = await open.commit();
    expect(info.size).toBe(2 << 20);
    expect((await second.content.get(info.digest)).every((b) => b === 1)).toBe(true);
    await second.close();
  });

  it("keeps one set of chunks for a blob ingested many times, and none after delete", async () => {
    const indexedDB = new IDBFactory();
    const storage = await openIdbStorage({ name: "d", indexedDB, IDBKeyRange });
    const bytes = new Uint8Array((5 << 20) / 2).fill(7); // 2.5 MiB: three chunk records
    const put = async () => {
      const w = await storage.content.ingest();
      for (let i = 0; i < bytes.length; i += 1 << 19) await w.write(bytes.subarray(i, i + (1 << 19)));
      return w.commit();
    };
    await put();
    const [info] = await Promise.all([put(), put(), put()]);
    const counts = async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open("d");
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const tx = db.transaction(["blobs", "chunks", "ingests"]);
      const count = (name: string) =>
        new Promise<number>((resolve) => {
          const r = tx.objectStore(name).count();
          r.onsuccess = () => resolve(r.result);
        });
      const result = await Promise.all([count("blobs"), count("chunks"), count("ingests")]);
      db.close();
      return result;
    };
    expect(await counts()).toEqual([1, 3, 0]);
    await storage.content.delete(info!.digest);
    expect(await counts()).toEqual([0, 0, 0]);
    await storage.close();
  });

  it("reports a missing IndexedDB as unavailable", async () => {
    await expect(openIdbStorage({ indexedDB: undefined, IDBKeyRange: undefined })).rejects.toMatchObject({
      kind: "unavailable",
    });
  });
});
