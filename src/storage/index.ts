// Browser-safe storage implementations. The Node directory store is not
// re-exported here so that bundling this file never pulls in node: modules;
// import it from "./directory.ts" directly.
export { MemoryContentStore, MemoryRefStore, createMemoryStorage } from "./memory.ts";
export { IdbContentStore, IdbRefStore, openIdbStorage, type IdbStorage, type IdbStorageOptions } from "./idb.ts";
