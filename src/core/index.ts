// Public surface of src/core: pure TypeScript, no DOM, IndexedDB or node: imports.
export * from "./errors.ts";
export * from "./digest.ts";
export * from "./sha256.ts";
export * from "./media-types.ts";
export * from "./oci.ts";
export * from "./canonical-json.ts";
export * from "./content.ts";
