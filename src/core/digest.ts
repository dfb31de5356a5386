// Content digests ("sha256:<64 lowercase hex>").
//
// A Digest is a branded string: plain strings become Digests only through
// parseDigest/isDigest/digestFromHex, so anything typed Digest has been checked.
// Only sha256 is accepted; it is the only algorithm Docker and OCI registries
// use in practice, and accepting others would mean hashing with them too.

import { BerthError } from "./errors.ts";

declare const digestBrand: unique symbol;

/** "sha256:" followed by 64 lowercase hex digits. */
export type Digest = string & { readonly [digestBrand]: true };

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;

export function isDigest(value: unknown): value is Digest {
  return typeof value === "string" && DIGEST_RE.test(value);
}

/** Returns `value` as a Digest or throws an invalid-argument BerthError saying what is wrong. */
export function parseDigest(value: string): Digest {
  if (isDigest(value)) return value;
  throw new BerthError("invalid-argument", `invalid digest ${JSON.stringify(value)}: ${digestProblem(value)}`, {
    digest: value,
  });
}

function digestProblem(value: string): string {
  if (typeof value !== "string") return "not a string";
  const colon = value.indexOf(":");
  if (colon < 0) return 'expected "sha256:<64 hex digits>"';
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (algorithm !== "sha256") return `unsupported algorithm ${JSON.stringify(algorithm)} (only sha256)`;
  if (hex.length !== 64) return `expected 64 hex digits, got ${hex.length} characters`;
  if (/[A-F]/.test(hex) && /^[0-9a-fA-F]{64}$/.test(hex)) return "hex digits must be lowercase";
  return "expected 64 hex digits [0-9a-f]";
}

/** The 64 hex digits of a digest. */
export function digestHex(digest: Digest): string {
  return digest.slice("sha256:".length);
}

/** Builds a Digest from 64 lowercase hex digits (e.g. a blob file name). */
export function digestFromHex(hex: string): Digest {
  if (!HEX64_RE.test(hex)) {
    throw new BerthError("invalid-argument", `invalid sha256 hex ${JSON.stringify(hex)}: expected 64 lowercase hex digits`);
  }
  return `sha256:${hex}` as Digest;
}

/** A short form for display, like Docker's 12-digit image IDs. */
export function shortDigest(digest: Digest, length = 12): string {
  return digestHex(digest).slice(0, length);
}
