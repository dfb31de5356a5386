import { createMemoryStorage } from "../../../src/storage/memory.ts";
import { describeStorageConformance } from "./conformance.ts";

describeStorageConformance("memory", async () => {
  const storage = createMemoryStorage();
  return {
    storage,
    tamper: async (digest, bytes) => storage.content.corruptForTesting(digest, bytes),
  };
});
