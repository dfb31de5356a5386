// Canonical JSON for the manifests, indexes and configs we write.
//
// A digest is a hash of bytes, so the same image must always serialise to the
// same bytes, whatever order the code that built the object happened to set
// its keys in. The encoder is driven by a Shape: the fields of a known struct
// come out in a fixed order (the order the OCI/Docker Go structs use, so our
// output looks like theirs), unknown keys follow sorted, and map-like objects
// (Labels, annotations, ExposedPorts, ...) have their keys sorted, as Go's
// encoding/json does for maps. No whitespace; undefined members are dropped.
//
// Unlike Go, strings are escaped as JSON.stringify does (no \u003c for "<").
// Digests of blobs written by other tools come from their bytes, never from
// re-encoding, so this only has to be deterministic, not byte-identical to Go.

import { BerthError } from "./errors.ts";
import type { Descriptor } from "./oci.ts";
import { sha256 } from "./sha256.ts";

export type Shape =
  /** A struct: these keys first, in this order; then any other keys, sorted. */
  | { readonly fields: readonly (readonly [key: string, shape?: Shape])[] }
  /** A map: keys sorted; every value has shape `values`. */
  | { readonly map: Shape | undefined }
  /** An array whose items have shape `items`. */
  | { readonly items: Shape | undefined };

const stringList: Shape = { items: undefined };
const stringMap: Shape = { map: undefined };
const set: Shape = { map: { map: undefined } };

const platform: Shape = {
  fields: [["architecture"], ["os"], ["os.version"], ["os.features", stringList], ["variant"], ["features", stringList]],
};

const descriptorFields: [string, Shape?][] = [
  ["mediaType"],
  ["digest"],
  ["size"],
  ["urls", stringList],
  ["annotations", stringMap],
  ["data"],
  ["platform", platform],
  ["artifactType"],
];
const descriptor: Shape = { fields: descriptorFields };

const manifest: Shape = {
  fields: [
    ["schemaVersion"],
    ["mediaType"],
    ["artifactType"],
    ["config", descriptor],
    ["layers", { items: descriptor }],
    ["subject", descriptor],
    ["annotations", stringMap],
  ],
};

const index: Shape = {
  fields: [
    ["schemaVersion"],
    ["mediaType"],
    ["artifactType"],
    ["manifests", { items: descriptor }],
    ["subject", descriptor],
    ["annotations", stringMap],
  ],
};

const healthcheck: Shape = {
  fields: [["Test", stringList], ["Interval"], ["Timeout"], ["StartPeriod"], ["StartInterval"], ["Retries"]],
};

const containerConfig: Shape = {
  fields: [
    ["User"],
    ["ExposedPorts", set],
    ["Env", stringList],
    ["Entrypoint", stringList],
    ["Cmd", stringList],
    ["Volumes", set],
    ["WorkingDir"],
    ["Labels", stringMap],
    ["StopSignal"],
    ["ArgsEscaped"],
    ["Healthcheck", healthcheck],
    ["OnBuild", stringList],
    ["Shell", stringList],
  ],
};

const history: Shape = { fields: [["created"], ["created_by"], ["author"], ["comment"], ["empty_layer"]] };

const imageConfig: Shape = {
  fields: [
    ["created"],
    ["author"],
    ["architecture"],
    ["os"],
    ["os.version"],
    ["os.features", stringList],
    ["variant"],
    ["config", containerConfig],
    ["rootfs", { fields: [["type"], ["diff_ids", stringList]] }],
    ["history", { items: history }],
  ],
};

/** Shapes of the documents we write. */
export const Shapes = { platform, descriptor, manifest, index, containerConfig, history, imageConfig } as const;

function fail(path: string, problem: string): never {
  throw new BerthError("invalid-argument", `canonical JSON: ${path || "value"}: ${problem}`, { path });
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function compareKeys(a: string, b: string): number {
  // By UTF-16 code units, like Array.prototype.sort's default; stable across engines.
  return a < b ? -1 : a > b ? 1 : 0;
}

function encode(value: unknown, shape: Shape | undefined, path: string, out: string[]): void {
  switch (typeof value) {
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value)) fail(path, `${value} cannot be represented in JSON`);
      out.push(JSON.stringify(Object.is(value, -0) ? 0 : value));
      return;
    case "object":
      break;
    default:
      fail(path, `a ${typeof value} cannot be represented in JSON`);
  }
  if (value === null) {
    out.push("null");
    return;
  }
  if (Array.isArray(value)) {
    const items = shape !== undefined && "items" in shape ? shape.items : undefined;
    out.push("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      if (value[i] === undefined) fail(`${path}[${i}]`, "undefined in an array");
      encode(value[i], items, `${path}[${i}]`, out);
    }
    out.push("]");
    return;
  }
  if (!isPlainObject(value)) fail(path, `a ${value.constructor?.name ?? "non-plain object"} is not plain JSON data`);
  const o = value as Record<string, unknown>;
  const keys: string[] = [];
  const shapes = new Map<string, Shape | undefined>();
  if (shape !== undefined && "fields" in shape) {
    for (const [key, sub] of shape.fields) {
      shapes.set(key, sub);
      if (Object.hasOwn(o, key)) keys.push(key);
    }
    keys.push(...Object.keys(o).filter((k) => !shapes.has(k)).sort(compareKeys));
  } else {
    keys.push(...Object.keys(o).sort(compareKeys));
  }
  const valueShape = shape !== undefined && "map" in shape ? shape.map : undefined;
  out.push("{");
  let first = true;
  for (const key of keys) {
    const member = o[key];
    if (member === undefined) continue;
    if (!first) out.push(",");
    first = false;
    out.push(JSON.stringify(key), ":");
    encode(member, shapes.has(key) ? shapes.get(key) : valueShape, path ? `${path}.${key}` : key, out);
  }
  out.push("}");
}

/** Encodes `value` deterministically (see the file comment). */
export function canonicalJson(value: unknown, shape?: Shape): string {
  const out: string[] = [];
  encode(value, shape, "", out);
  return out.join("");
}

const encoder = new TextEncoder();

export function canonicalJsonBytes(value: unknown, shape?: Shape): Uint8Array {
  return encoder.encode(canonicalJson(value, shape));
}

/** Canonical bytes of a document plus the descriptor that points at them. */
export async function canonicalBlob(
  value: unknown,
  shape: Shape,
  mediaType: string,
): Promise<{ bytes: Uint8Array; descriptor: Descriptor }> {
  const bytes = canonicalJsonBytes(value, shape);
  return { bytes, descriptor: { mediaType, digest: await sha256(bytes), size: bytes.length } };
}
