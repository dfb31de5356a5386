// Registry authentication: WWW-Authenticate challenges (RFC 7235) and the
// two schemes registries use, Basic and the Docker token (Bearer) flow.
//
// Token flow (distribution's "token authentication specification"): a
// request answered 401 with `Bearer realm="https://auth.example/token",
// service="registry.example",scope="repository:foo:pull"` is retried with
// `Authorization: Bearer <token>`, the token fetched from
// GET realm?service=...&scope=... (with Basic credentials if the user logged
// in; anonymous otherwise). The answer is JSON {token | access_token, expires_in}.

import { BerthError } from "../core/errors.ts";

export interface AuthChallenge {
  /** Lower-case scheme: "basic", "bearer". */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Parses a WWW-Authenticate header into its challenges. Parameter values
 * may be quoted strings (with commas and backslash escapes) or tokens.
 */
export function parseChallenges(header: string | null | undefined): AuthChallenge[] {
  if (!header) return [];
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    skipSpace();
    while (i < n && header[i] === ",") {
      i++;
      skipSpace();
    }
    if (i >= n) break;
    const word = token();
    if (word === "") {
      i++; // a stray character: skip it
      continue;
    }
    skipSpace();
    if (header[i] === "=" && out.length > 0) {
      // key=value of the current challenge
      i++;
      skipSpace();
      let value = "";
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === "\\" && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++; // closing quote
      } else {
        const start = i;
        while (i < n && header[i] !== "," && header[i] !== " ") i++;
        value = header.slice(start, i);
      }
      out[out.length - 1]!.params[word.toLowerCase()] = value;
      continue;
    }
    // A new challenge: "Bearer realm=..." (a token68 after the scheme is ignored).
    const params: Record<string, string> = {};
    out.push({ scheme: word.toLowerCase(), params });
    // The first parameter follows the scheme after a space.
    const save = i;
    const key = token();
    skipSpace();
    if (key !== "" && header[i] === "=") {
      i = save;
    } else {
      i = save;
      // token68 or nothing: skip to the next comma
      while (i < n && header[i] !== ",") i++;
    }
  }
  return out;
}

/** The challenge a client should answer: Bearer before Basic. */
export function preferredChallenge(challenges: readonly AuthChallenge[]): AuthChallenge | undefined {
  return challenges.find((c) => c.scheme === "bearer") ?? challenges.find((c) => c.scheme === "basic");
}

/** base64 of UTF-8 text (btoa alone takes Latin-1 only). */
export function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function basicAuthorization(credentials: RegistryCredentials): string {
  return `Basic ${base64Utf8(`${credentials.username}:${credentials.password}`)}`;
}

/** "repository:library/busybox:pull,push" */
export function repositoryScope(name: string, actions: readonly string[]): string {
  return `repository:${name}:${actions.join(",")}`;
}

/**
 * Merges scopes the way a token request wants them: one entry per resource,
 * its actions united ("repository:a:pull" + "repository:a:push" →
 * "repository:a:pull,push"), sorted so equal sets give equal cache keys.
 */
export function mergeScopes(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const scope of scopes) {
    for (const one of scope.split(" ")) {
      if (one === "") continue;
      const colon = one.lastIndexOf(":");
      if (colon <= 0) continue;
      const resource = one.slice(0, colon);
      const actions = byResource.get(resource) ?? new Set<string>();
      for (const action of one.slice(colon + 1).split(",")) if (action !== "") actions.add(action);
      byResource.set(resource, actions);
    }
  }
  return [...byResource.entries()]
    .map(([resource, actions]) => `${resource}:${[...actions].sort().join(",")}`)
    .sort();
}

/** Builds the token request URL for a Bearer challenge. */
export function tokenUrl(challenge: AuthChallenge, scopes: readonly string[]): URL {
  const realm = challenge.params.realm;
  if (!realm) throw new BerthError("unauthorized", "the registry's Bearer challenge names no realm to get a token from");
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new BerthError("unauthorized", `the registry's token realm ${JSON.stringify(realm)} is not a URL`);
  }
  if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
  for (const scope of scopes) url.searchParams.append("scope", scope);
  return url;
}

/** The token in a token server's JSON answer, and how long it lives (seconds). */
export function parseTokenResponse(body: unknown): { token: string; expiresIn: number } {
  const o = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const token = typeof o.token === "string" && o.token !== "" ? o.token : typeof o.access_token === "string" ? o.access_token : "";
  if (token === "") throw new BerthError("unauthorized", "the token server's answer holds no token");
  // The spec's default lifetime is 60 seconds when none is given.
  const expiresIn = typeof o.expires_in === "number" && o.expires_in > 0 ? o.expires_in : 60;
  return { token, expiresIn };
}
