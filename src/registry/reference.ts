// Image references: [HOST[:PORT]/]PATH[:TAG][@DIGEST], normalised as Docker
// does it (github.com/distribution/reference, ParseNormalizedNamed):
//
//   busybox                      → docker.io/library/busybox  (+ :latest by withDefaultTag)
//   user/repo:1.0                → docker.io/user/repo:1.0
//   index.docker.io/library/a    → docker.io/library/a
//   localhost:5000/a/b           → localhost:5000/a/b
//   ghcr.io/o/r@sha256:<hex>     → ghcr.io/o/r@sha256:<hex>
//
// The first path component is a registry host only if it contains "." or ":"
// or is "localhost"; otherwise the name is on Docker Hub, and a one-component
// Hub name gets the "library/" prefix of official images. The "familiar" form
// undoes that for display (docker.io/library/busybox:latest → busybox:latest).
//
// Errors are invalid-argument BerthErrors that start with Docker's wording
// ("invalid reference format: ...") and then say what exactly is wrong.

import { parseDigest, type Digest } from "../core/digest.ts";
import { BerthError } from "../core/errors.ts";

export const DEFAULT_DOMAIN = "docker.io";
export const LEGACY_DEFAULT_DOMAIN = "index.docker.io";
export const OFFICIAL_REPO_PREFIX = "library/";
export const DEFAULT_TAG = "latest";
export const NAME_TOTAL_LENGTH_MAX = 255;

/** A parsed, normalised image reference. Plain data: safe to send to a worker. */
export interface ImageReference {
  /** Registry host and optional port, e.g. "docker.io", "localhost:5000", "[::1]:5000". */
  readonly domain: string;
  /** Repository path without the domain, e.g. "library/busybox". */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

// Grammar from distribution/reference (regexp.go).
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN = new RegExp(`^${HOST}(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const IDENTIFIER = /^[a-f0-9]{64}$/;

function invalid(input: string, problem: string): BerthError {
  return new BerthError("invalid-argument", `invalid reference format: ${problem}`, { reference: input });
}

/** Splits off the registry host the way Docker's splitDockerDomain does. */
function splitDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf("/");
  let domain: string;
  let remainder: string;
  const first = slash < 0 ? "" : name.slice(0, slash);
  if (slash < 0 || !(first.includes(".") || first.includes(":") || first === "localhost")) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(slash + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes("/")) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/**
 * Parses and normalises a reference as typed by a user. Does not add a
 * default tag (see withDefaultTag). Throws invalid-argument with a message
 * saying what is wrong.
 */
export function parseReference(input: string): ImageReference {
  if (typeof input !== "string" || input === "") {
    throw invalid(String(input ?? ""), "repository name must have at least one component");
  }
  if (IDENTIFIER.test(input)) {
    throw new BerthError(
      "invalid-argument",
      `invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`,
      { reference: input },
    );
  }

  // [name[:tag]]@digest
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    const digestText = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (digestText === "") throw invalid(input, `digest after "@" is empty in ${JSON.stringify(input)}`);
    try {
      digest = parseDigest(digestText);
    } catch (err) {
      throw invalid(input, (err as Error).message);
    }
  }

  // name[:tag]: a ":" after the last "/" starts the tag ("localhost:5000/a" has none).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw invalid(
        input,
        tag === ""
          ? `tag after ":" is empty in ${JSON.stringify(input)}`
          : `tag ${JSON.stringify(tag)} must be 1 to 128 characters of letters, digits, "_", "." and "-", not starting with "." or "-"`,
      );
    }
  }
  if (rest === "") throw invalid(input, "repository name must have at least one component");

  const { domain, remainder } = splitDomain(rest);
  if (remainder.toLowerCase() !== remainder) {
    throw invalid(input, `repository name (${remainder}) must be lowercase`);
  }
  if (!DOMAIN.test(domain)) {
    throw invalid(input, `registry host ${JSON.stringify(domain)} is not a valid host name or host:port`);
  }
  const components = remainder.split("/");
  for (const component of components) {
    if (component === "") {
      throw invalid(input, `repository name ${JSON.stringify(remainder)} has an empty path component`);
    }
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(
        input,
        `path component ${JSON.stringify(component)} must be lowercase letters and digits, ` +
          `separated by ".", "_", "__" or "-"`,
      );
    }
  }
  const fullName = `${domain}/${remainder}`;
  if (fullName.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(input, `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }

  const ref: { domain: string; path: string; tag?: string; digest?: Digest } = { domain, path: remainder };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Returns true if `input` parses as a reference. */
export function isValidReference(input: string): boolean {
  try {
    parseReference(input);
    return true;
  } catch {
    return false;
  }
}

/** Adds the "latest" tag to a reference that has neither tag nor digest (Docker's TagNameOnly). */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** "docker.io/library/busybox" */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full canonical string: "docker.io/library/busybox:latest", "ghcr.io/o/r@sha256:...". */
export function formatReference(ref: ImageReference): string {
  return repositoryName(ref) + suffix(ref);
}

/** parseReference + withDefaultTag + formatReference: "busybox" → "docker.io/library/busybox:latest". */
export function normalizeReference(input: string): string {
  return formatReference(withDefaultTag(parseReference(input)));
}

/** The short repository name Docker shows: "busybox", "user/repo", "localhost:5000/a/b". */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  const rest = ref.path.startsWith(OFFICIAL_REPO_PREFIX) ? ref.path.slice(OFFICIAL_REPO_PREFIX.length) : undefined;
  return rest !== undefined && !rest.includes("/") ? rest : ref.path;
}

/** The short form with tag and digest, as `docker images` shows it: "busybox:latest". */
export function familiarString(ref: ImageReference): string {
  return familiarName(ref) + suffix(ref);
}

function suffix(ref: ImageReference): string {
  return (ref.tag !== undefined ? `:${ref.tag}` : "") + (ref.digest !== undefined ? `@${ref.digest}` : "");
}
