// A client for the OCI distribution API (the registry HTTP API v2), on
// `fetch` only, so the same code runs in a page, a Web Worker and Node.
//
//   const client = new RegistryClient({ credentials: (registry) => ... });
//   const repo = client.repository({ domain: "127.0.0.1:5000", path: "foo" }, ["pull", "push"]);
//   const m = await repo.getManifest("latest");
//
// What it does for every request:
// - URLs: https://<host>/v2/..., plain http for loopback registries (like
//   dockerd's default insecure localhost); Docker Hub ("docker.io") is
//   registry-1.docker.io;
// - auth: a 401 is answered once per request: Basic with the registry's
//   credentials, or the token flow (src/registry/auth.ts) with the scope the
//   repository handle was made for (`repository:<name>:pull[,push]`, plus
//   `pull` on a repository blobs are mounted from). Tokens are cached until
//   they expire; once a registry has asked for auth, later requests send it
//   at once;
// - an optional proxy for pages (registries without CORS headers): the
//   request for https://host/path goes to <proxy base>host/path instead
//   (src/registry/proxy-plugin.ts serves that). Locations and token realms
//   stay in the registry's own URL space and are mapped the same way;
// - errors are BerthErrors worded like dockerd's: `Get "<url>": <reason>`
//   for transport and auth failures, and the registry's own error codes as
//   Go's errcode prints them ("manifest unknown: manifest unknown").
//
// Blob downloads stream into a ContentStore ingest that checks size and
// digest before anything becomes visible; a manifest fetched by digest is
// checked against it, and one fetched by tag against Docker-Content-Digest.

import { type BlobWriter, type ContentStore } from "../core/content.ts";
import { parseDigest, type Digest } from "../core/digest.ts";
import { BerthError, type ErrorKind } from "../core/errors.ts";
import { MANIFEST_ACCEPT } from "../core/media-types.ts";
import type { Descriptor } from "../core/oci.ts";
import { sha256 } from "../core/sha256.ts";
import {
  basicAuthorization,
  mergeScopes,
  parseChallenges,
  parseTokenResponse,
  preferredChallenge,
  repositoryScope,
  tokenUrl,
  type AuthChallenge,
  type RegistryCredentials,
} from "./auth.ts";
import { isLoopbackHost, registryApiHost, registryScheme } from "./hosts.ts";

export type { RegistryCredentials } from "./auth.ts";

/** Blobs larger than this are uploaded in PATCH chunks of this size. */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

export interface RegistryProxy {
  /** Absolute URL the proxy is served at, e.g. "http://127.0.0.1:5173/registry-proxy/". */
  readonly base: string;
  /**
   * Which hosts go through the proxy (default: every host but loopback
   * ones). A host reached directly whose request fails at the network level
   * (what a page sees when CORS headers are missing) is retried through the
   * proxy, and stays there.
   */
  readonly use?: (host: string) => boolean;
}

export interface RegistryClientOptions {
  readonly fetch?: typeof fetch;
  /** Credentials for a registry ("docker.io", "localhost:5000"), if the user logged in. */
  readonly credentials?: (registry: string) => RegistryCredentials | undefined | Promise<RegistryCredentials | undefined>;
  readonly proxy?: RegistryProxy;
  /** Registries (host:port as in image names) to speak plain http to, besides loopback ones. */
  readonly insecureRegistries?: readonly string[];
  /** PATCH chunk size for large blob uploads (default 8 MiB). */
  readonly chunkSize?: number;
}

/** A repository: its registry as image names spell it and its path. */
export interface RepositoryName {
  /** "docker.io", "localhost:5000" */
  readonly domain: string;
  /** "library/busybox" */
  readonly path: string;
}

export interface FetchedManifest {
  /** The bytes exactly as served (the digest is over them). */
  readonly bytes: Uint8Array;
  /** Content-Type (or the document's own mediaType). */
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
}

/** Bytes moved so far for a blob transfer. */
export type ByteProgress = (current: number, total: number) => void;

export type UploadOutcome = "exists" | "mounted" | "pushed";

interface TokenEntry {
  token: string;
  expires: number;
}

interface RegistryAuthState {
  challenge?: AuthChallenge;
  tokens: Map<string, TokenEntry>;
}

interface RequestSpec {
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Absolute URL in the registry's own space. */
  url: URL;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Token scopes this request needs (empty: registry-wide, as for /v2/). */
  scopes: readonly string[];
  /** Default true: answer a 401 challenge. */
  auth?: boolean;
}

const GO_METHOD: Record<RequestSpec["method"], string> = {
  GET: "Get",
  HEAD: "Head",
  POST: "Post",
  PUT: "Put",
  PATCH: "Patch",
  DELETE: "Delete",
};

/** Docker's errcode text for the registry error codes, used when a body has none. */
const STATUS_TEXT: Record<number, string> = {
  401: "unauthorized: authentication required",
  403: "denied: requested access to the resource is denied",
  404: "not found",
  405: "unsupported: The operation is unsupported.",
  429: "toomanyrequests: too many requests",
};

/** A registry answered with an error (the status and its errcode text are in details). */
export function registryError(kind: ErrorKind, message: string, details: Record<string, unknown>): BerthError {
  return new BerthError(kind, message, { ...details });
}

function kindForStatus(status: number): ErrorKind {
  if (status === 401 || status === 403) return "unauthorized";
  if (status === 404) return "not-found";
  if (status === 400) return "invalid-argument";
  if (status === 409) return "conflict";
  if (status >= 500 || status === 429) return "unavailable";
  return "internal";
}

/**
 * The text of a registry error response, as Go's errcode package prints it:
 * "<code lower-cased, _ as space>: <message>". A body that is not the
 * registry's JSON falls back to the status.
 */
export async function errorText(response: Response): Promise<{ text: string; codes: string[] }> {
  let body: string;
  try {
    body = response.status === 204 ? "" : await response.text();
  } catch {
    body = "";
  }
  const codes: string[] = [];
  if (body !== "") {
    try {
      const json = JSON.parse(body) as { errors?: unknown; details?: unknown; message?: unknown; error?: unknown };
      if (Array.isArray(json.errors) && json.errors.length > 0) {
        const texts = json.errors.map((e: { code?: unknown; message?: unknown }) => {
          const code = typeof e?.code === "string" ? e.code : "";
          if (code !== "") codes.push(code);
          const message = typeof e?.message === "string" ? e.message : "";
          const name = code.toLowerCase().replace(/_/g, " ");
          return name !== "" && message !== "" ? `${name}: ${message}` : name || message;
        });
        return { text: texts.join("; "), codes };
      }
      // Token servers: {"details": "incorrect username or password"}, OAuth {"error": ...}.
      const detail = [json.details, json.message, json.error].find((v) => typeof v === "string" && v !== "") as string | undefined;
      if (detail !== undefined) return { text: response.status === 401 ? `unauthorized: ${detail}` : detail, codes };
    } catch {
      // not JSON
    }
  }
  return { text: STATUS_TEXT[response.status] ?? `received unexpected HTTP status: ${response.status} ${response.statusText}`.trim(), codes };
}

function responseMediaType(response: Response): string {
  return (response.headers.get("content-type") ?? "").split(";")[0]!.trim();
}

function declaredMediaType(bytes: Uint8Array): string | undefined {
  try {
    const o = JSON.parse(new TextDecoder().decode(bytes)) as { mediaType?: unknown };
    return typeof o?.mediaType === "string" ? o.mediaType : undefined;
  } catch {
    return undefined;
  }
}

export class RegistryClient {
  private readonly fetchFn: typeof fetch;
  private readonly auth = new Map<string, RegistryAuthState>();
  /** Hosts a direct request failed for at the network level: go through the proxy. */
  private readonly viaProxy = new Set<string>();
  readonly chunkSize: number;

  constructor(readonly options: RegistryClientOptions = {}) {
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  /** https://registry-1.docker.io for "docker.io", http://127.0.0.1:5000 for "127.0.0.1:5000". */
  baseUrl(registry: string): URL {
    const host = registryApiHost(registry);
    return new URL(`${registryScheme(host, this.options.insecureRegistries)}://${host}/`);
  }

  /** A handle on one repository, for the actions its requests need tokens for. */
  repository(name: RepositoryName, actions: readonly ("pull" | "push")[] = ["pull"]): Repository {
    return new Repository(this, name, actions);
  }

  /** Forgets cached tokens and challenges (e.g. after login or logout). */
  forget(registry?: string): void {
    if (registry === undefined) this.auth.clear();
    else this.auth.delete(registry);
  }

  /**
   * GET /v2/ without credentials: whether the registry answers, and the
   * challenge it sends (undefined when it needs no auth).
   */
  async ping(registry: string): Promise<{ challenge?: AuthChallenge }> {
    const url = new URL("v2/", this.baseUrl(registry));
    const response = await this.send(registry, { method: "GET", url, scopes: [], auth: false });
    if (response.ok) {
      await response.body?.cancel();
      return {};
    }
    if (response.status === 401) {
      const challenge = preferredChallenge(parseChallenges(challengeHeader(response)));
      await response.body?.cancel();
      return challenge ? { challenge } : {};
    }
    const { text } = await errorText(response);
    throw new BerthError(kindForStatus(response.status), `Get "${url.href}": ${text}`, { registry, status: response.status });
  }

  /**
   * Checks credentials the way `docker login` does: GET /v2/ with them
   * (Basic), or a token for them from the registry's token server (Bearer).
   * Throws unauthorized with dockerd's wording when they are refused:
   * `Get "http://host/v2/": unauthorized: authentication required`.
   */
  async login(registry: string, credentials: RegistryCredentials): Promise<void> {
    this.forget(registry);
    const url = new URL("v2/", this.baseUrl(registry));
    const { challenge } = await this.ping(registry);
    if (challenge === undefined) return; // no auth needed: Docker says "Login Succeeded" all the same
    let authorization: string;
    if (challenge.scheme === "basic") {
      authorization = basicAuthorization(credentials);
    } else if (challenge.scheme === "bearer") {
      try {
        authorization = `Bearer ${(await this.fetchToken(registry, challenge, [], credentials)).token}`;
      } catch (err) {
        if (err instanceof BerthError && err.kind === "unauthorized") {
          throw new BerthError("unauthorized", `Get "${url.href}": ${err.message}`, { registry });
        }
        throw err;
      }
    } else {
      throw new BerthError("unauthorized", `Get "${url.href}": unsupported authentication scheme ${JSON.stringify(challenge.scheme)}`, { registry });
    }
    const response = await this.send(registry, { method: "GET", url, scopes: [], auth: false, headers: { authorization } });
    if (!response.ok) {
      const { text } = await errorText(response);
      throw new BerthError(kindForStatus(response.status), `Get "${url.href}": ${text}`, { registry, status: response.status });
    }
    await response.body?.cancel();
    // Later requests answer this challenge at once.
    this.state(registry).challenge = challenge;
  }

  // -------------------------------------------------------------------------
  // Requests

  /** Sends a request, answering one auth challenge. The caller checks the status. */
  async request(registry: string, spec: RequestSpec): Promise<Response> {
    const state = this.state(registry);
    const headers: Record<string, string> = { ...spec.headers };
    if (spec.auth !== false && state.challenge !== undefined && headers.authorization === undefined) {
      const authorization = await this.authorization(registry, state.challenge, spec.scopes, false);
      if (authorization !== undefined) headers.authorization = authorization;
    }
    const response = await this.send(registry, { ...spec, headers });
    if (response.status !== 401 || spec.auth === false) return response;
    const challenge = preferredChallenge(parseChallenges(challengeHeader(response)));
    if (challenge === undefined) return response;
    // A challenge: remember it, get credentials or a token for it, and try once more.
    const known = state.challenge;
    state.challenge = challenge;
    if (known !== undefined && headers.authorization !== undefined && challenge.scheme === "basic") {
      return response; // the credentials we sent were refused
    }
    const scopes = challenge.params.scope ? mergeScopes([...spec.scopes, challenge.params.scope]) : spec.scopes;
    const authorization = await this.authorization(registry, challenge, scopes, true, GO_METHOD[spec.method], spec.url);
    if (authorization === undefined || authorization === headers.authorization) return response;
    await response.body?.cancel();
    return this.send(registry, { ...spec, headers: { ...headers, authorization } });
  }

  private state(registry: string): RegistryAuthState {
    let state = this.auth.get(registry);
    if (state === undefined) {
      state = { tokens: new Map() };
      this.auth.set(registry, state);
    }
    return state;
  }

  private async credentials(registry: string): Promise<RegistryCredentials | undefined> {
    return (await this.options.credentials?.(registry)) ?? undefined;
  }

  /** The Authorization header for a challenge, fetching a token if needed. */
  private async authorization(
    registry: string,
    challenge: AuthChallenge,
    scopes: readonly string[],
    fresh: boolean,
    method?: string,
    url?: URL,
  ): Promise<string | undefined> {
    if (challenge.scheme === "basic") {
      const credentials = await this.credentials(registry);
      if (credentials === undefined) {
        if (fresh && method !== undefined && url !== undefined) {
          throw new BerthError("unauthorized", `${method} "${url.href}": no basic auth credentials`, { registry });
        }
        return undefined;
      }
      return basicAuthorization(credentials);
    }
    if (challenge.scheme === "bearer") {
      const merged = mergeScopes(scopes);
      const cached = this.state(registry).tokens.get(merged.join(" "));
      // A fresh challenge means the token we sent (if any) was refused: get another.
      if (!fresh && cached !== undefined && cached.expires > Date.now()) return `Bearer ${cached.token}`;
      const { token } = await this.fetchToken(registry, challenge, merged, await this.credentials(registry), method, url);
      return `Bearer ${token}`;
    }
    return undefined;
  }

  /** GET <realm>?service=...&scope=... with Basic credentials when we have them. */
  private async fetchToken(
    registry: string,
    challenge: AuthChallenge,
    scopes: readonly string[],
    credentials: RegistryCredentials | undefined,
    method?: string,
    requestUrl?: URL,
  ): Promise<{ token: string }> {
    const url = tokenUrl(challenge, scopes);
    const headers: Record<string, string> = {};
    if (credentials !== undefined) headers.authorization = basicAuthorization(credentials);
    const response = await this.send(registry, { method: "GET", url, scopes: [], auth: false, headers });
    if (!response.ok) {
      const { text } = await errorText(response);
      const kind = response.status === 401 || response.status === 403 ? "unauthorized" : kindForStatus(response.status);
      const where = method !== undefined && requestUrl !== undefined ? `${method} "${requestUrl.href}": ` : "";
      throw new BerthError(kind, `${where}${text}`, { registry, status: response.status });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new BerthError("unauthorized", `the token server at ${url.origin} answered with something that is not JSON`, { registry });
    }
    const { token, expiresIn } = parseTokenResponse(body);
    // Refresh a little early.
    const entry = { token, expires: Date.now() + Math.max(1, expiresIn - 5) * 1000 };
    this.state(registry).tokens.set(scopes.join(" "), entry);
    return { token };
  }

  /** One HTTP exchange, through the proxy when the host needs it. Network failures become BerthErrors. */
  private async send(registry: string, spec: RequestSpec): Promise<Response> {
    const headers: Record<string, string> = { ...spec.headers };
    const init: RequestInit = { method: spec.method, headers, redirect: "follow" };
    if (spec.body !== undefined) init.body = spec.body as unknown as BodyInit;
    const host = spec.url.host;
    const direct = !this.proxied(host);
    let failure: unknown;
    try {
      return await this.fetchFn(direct ? spec.url.href : this.proxyUrl(spec.url), init);
    } catch (err) {
      failure = err;
    }
    if (direct && this.options.proxy !== undefined && failure instanceof TypeError) {
      // A page sees a missing CORS header as a network error: go through the proxy.
      this.viaProxy.add(host);
      try {
        return await this.fetchFn(this.proxyUrl(spec.url), init);
      } catch (err) {
        failure = err;
      }
    }
    const cause = (failure as { cause?: { message?: string } }).cause;
    const reason = cause?.message ?? (failure as Error).message;
    throw new BerthError("unavailable", `${GO_METHOD[spec.method]} "${spec.url.href}": ${reason}`, { registry, url: spec.url.href }, { cause: failure });
  }

  private proxied(host: string): boolean {
    const proxy = this.options.proxy;
    if (proxy === undefined) return false;
    if (this.viaProxy.has(host)) return true;
    return proxy.use ? proxy.use(host) : !isLoopbackHost(host);
  }

  /** https://host/v2/x?y → <base>host/v2/x?y */
  proxyUrl(url: URL): string {
    const base = this.options.proxy!.base;
    return `${base.endsWith("/") ? base : `${base}/`}${url.host}${url.pathname}${url.search}`;
  }
}

/** Requests about one repository, with tokens for its actions. */
export class Repository {
  private readonly scopes: string[];

  constructor(
    readonly client: RegistryClient,
    readonly name: RepositoryName,
    readonly actions: readonly ("pull" | "push")[],
  ) {
    this.scopes = [repositoryScope(name.path, actions)];
  }

  get registry(): string {
    return this.name.domain;
  }

  url(rest: string): URL {
    return new URL(`v2/${this.name.path}/${rest}`, this.client.baseUrl(this.name.domain));
  }

  private request(spec: Omit<RequestSpec, "scopes"> & { scopes?: readonly string[] }): Promise<Response> {
    return this.client.request(this.registry, { ...spec, scopes: spec.scopes ?? this.scopes });
  }

  private async fail(method: RequestSpec["method"], url: URL, response: Response, extra: Record<string, unknown> = {}): Promise<never> {
    const { text, codes } = await errorText(response);
    throw new BerthError(kindForStatus(response.status), text, {
      registry: this.registry,
      repository: this.name.path,
      status: response.status,
      codes,
      url: url.href,
      method: GO_METHOD[method],
      ...extra,
    });
  }

  /**
   * GET a manifest or index by tag or digest. By digest, the bytes must hash
   * to it; by tag, to the Docker-Content-Digest the registry sent, if any.
   */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const url = this.url(`manifests/${reference}`);
    const response = await this.request({ method: "GET", url, headers: { accept: MANIFEST_ACCEPT } });
    if (!response.ok) return this.fail("GET", url, response, { reference });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const digest = await sha256(bytes);
    const expected = reference.startsWith("sha256:") ? parseDigest(reference) : headerDigest(response);
    if (expected !== undefined && expected !== digest) {
      throw new BerthError("digest-mismatch", `manifest verification failed for digest ${expected}`, {
        registry: this.registry,
        digest: expected,
        actualDigest: digest,
      });
    }
    const mediaType = declaredMediaType(bytes) ?? responseMediaType(response);
    return { bytes, mediaType, digest, size: bytes.length };
  }

  /** HEAD a manifest: its digest, or undefined if the registry does not have it. */
  async headManifest(reference: string): Promise<{ digest?: Digest; mediaType: string; size: number } | undefined> {
    const url = this.url(`manifests/${reference}`);
    const response = await this.request({ method: "HEAD", url, headers: { accept: MANIFEST_ACCEPT } });
    if (response.status === 404) return undefined;
    if (!response.ok) return this.fail("HEAD", url, response, { reference });
    return {
      digest: headerDigest(response),
      mediaType: responseMediaType(response),
      size: Number(response.headers.get("content-length") ?? "0"),
    };
  }

  /** PUT a manifest under a tag or its digest; returns the digest the registry reports (or ours). */
  async putManifest(reference: string, bytes: Uint8Array, mediaType: string): Promise<Digest> {
    const url = this.url(`manifests/${reference}`);
    const response = await this.request({ method: "PUT", url, headers: { "content-type": mediaType }, body: bytes });
    if (!response.ok) return this.fail("PUT", url, response, { reference });
    await response.body?.cancel();
    return headerDigest(response) ?? (await sha256(bytes));
  }

  /** Whether the registry has a blob in this repository. */
  async blobExists(digest: Digest): Promise<boolean> {
    const url = this.url(`blobs/${digest}`);
    const response = await this.request({ method: "HEAD", url });
    if (response.status === 404) return false;
    if (!response.ok) return this.fail("HEAD", url, response, { digest });
    return true;
  }

  /**
   * Downloads a blob into a content store. The ingest checks size and
   * digest on commit, so a blob that does not match leaves nothing behind;
   * the error then says "<what> verification failed for digest ...".
   */
  async downloadBlob(
    descriptor: Descriptor,
    content: ContentStore,
    options: { onProgress?: ByteProgress; what?: string } = {},
  ): Promise<void> {
    const url = this.url(`blobs/${descriptor.digest}`);
    const response = await this.request({ method: "GET", url });
    if (!response.ok) return this.fail("GET", url, response, { digest: descriptor.digest });
    const writer = await content.ingest({ digest: descriptor.digest, size: descriptor.size });
    const what = options.what ?? "blob";
    try {
      await pump(response, writer, descriptor.size, options.onProgress);
      await writer.commit();
    } catch (err) {
      await writer.abort().catch(() => {});
      await response.body?.cancel().catch(() => {});
      if (err instanceof BerthError && err.kind === "digest-mismatch") {
        throw new BerthError("digest-mismatch", `${what} verification failed for digest ${descriptor.digest}`, {
          ...err.details,
          registry: this.registry,
          digest: descriptor.digest,
        }, { cause: err });
      }
      throw err;
    }
  }

  /** The bytes of a small blob (a config), checked against its digest. */
  async getBlob(descriptor: Descriptor): Promise<Uint8Array> {
    const url = this.url(`blobs/${descriptor.digest}`);
    const response = await this.request({ method: "GET", url });
    if (!response.ok) return this.fail("GET", url, response, { digest: descriptor.digest });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length !== descriptor.size || (await sha256(bytes)) !== descriptor.digest) {
      throw new BerthError("digest-mismatch", `blob verification failed for digest ${descriptor.digest}`, { digest: descriptor.digest });
    }
    return bytes;
  }

  /**
   * Uploads a blob unless the repository has it: HEAD, then a cross-repository
   * mount from `mountFrom` (a repository path on the same registry) if given,
   * then POST + PUT ?digest= (monolithic) or POST + PATCH chunks + PUT for
   * blobs above the client's chunk size.
   */
  async uploadBlob(
    descriptor: Descriptor,
    data: Uint8Array | (() => Promise<Uint8Array>),
    options: { mountFrom?: string; onProgress?: ByteProgress; skipExistsCheck?: boolean } = {},
  ): Promise<UploadOutcome> {
    if (!options.skipExistsCheck && (await this.blobExists(descriptor.digest))) return "exists";
    const start = this.url("blobs/uploads/");
    let scopes: readonly string[] | undefined;
    if (options.mountFrom !== undefined && options.mountFrom !== this.name.path) {
      start.searchParams.set("mount", descriptor.digest);
      start.searchParams.set("from", options.mountFrom);
      scopes = mergeScopes([...this.scopes, repositoryScope(options.mountFrom, ["pull"])]);
    }
    const begin = await this.request({ method: "POST", url: start, ...(scopes ? { scopes } : {}) });
    if (begin.status === 201) {
      await begin.body?.cancel();
      return "mounted";
    }
    if (begin.status !== 202) return this.fail("POST", start, begin, { digest: descriptor.digest });
    let location = uploadLocation(begin, start);
    await begin.body?.cancel();
    const bytes = data instanceof Uint8Array ? data : await data();
    if (bytes.length !== descriptor.size) {
      throw new BerthError("digest-mismatch", `blob ${descriptor.digest}: descriptor says ${descriptor.size} bytes, have ${bytes.length}`, {
        digest: descriptor.digest,
      });
    }
    const total = bytes.length;
    options.onProgress?.(0, total);
    const chunk = this.client.chunkSize;
    let body: Uint8Array = bytes;
    if (total > chunk) {
      for (let offset = 0; offset < total; offset += chunk) {
        const part = bytes.subarray(offset, Math.min(total, offset + chunk));
        const response = await this.request({
          method: "PATCH",
          url: location,
          headers: {
            "content-type": "application/octet-stream",
            "content-range": `${offset}-${offset + part.length - 1}`,
          },
          body: part,
        });
        if (response.status !== 202) return this.fail("PATCH", location, response, { digest: descriptor.digest });
        location = uploadLocation(response, location);
        await response.body?.cancel();
        options.onProgress?.(offset + part.length, total);
      }
      body = new Uint8Array(0);
    }
    const finish = new URL(location.href);
    finish.searchParams.append("digest", descriptor.digest);
    const response = await this.request({
      method: "PUT",
      url: finish,
      headers: { "content-type": "application/octet-stream" },
      body,
    });
    if (response.status !== 201 && response.status !== 204) return this.fail("PUT", finish, response, { digest: descriptor.digest });
    await response.body?.cancel();
    options.onProgress?.(total, total);
    return "pushed";
  }

  /** GET /v2/<name>/tags/list, following Link pagination. */
  async listTags(): Promise<string[]> {
    const tags: string[] = [];
    let url: URL | undefined = this.url("tags/list");
    for (let page = 0; url !== undefined && page < 1000; page++) {
      const response: Response = await this.request({ method: "GET", url });
      if (!response.ok) return this.fail("GET", url, response);
      const body = (await response.json()) as { tags?: unknown };
      if (Array.isArray(body.tags)) for (const t of body.tags) if (typeof t === "string") tags.push(t);
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get("link") ?? "");
      url = next ? new URL(next[1]!, url) : undefined;
    }
    return tags;
  }
}

/** WWW-Authenticate, or the name the registry proxy passes it under (src/registry/proxy-plugin.ts). */
function challengeHeader(response: Response): string | null {
  return response.headers.get("www-authenticate") ?? response.headers.get("x-registry-www-authenticate");
}

function headerDigest(response: Response): Digest | undefined {
  const value = response.headers.get("docker-content-digest");
  if (value === null || value === "") return undefined;
  try {
    return parseDigest(value.trim());
  } catch {
    return undefined; // another algorithm: nothing we can check against
  }
}

/** The upload URL a POST or PATCH answered with, resolved against the request URL. */
function uploadLocation(response: Response, requestUrl: URL): URL {
  const location = response.headers.get("location");
  if (location === null || location === "") {
    throw new BerthError("internal", `the registry started a blob upload without a Location header (${requestUrl.href})`);
  }
  return new URL(location, requestUrl);
}

/** Copies a response body into a blob writer, reporting progress at most every 256 KiB. */
async function pump(response: Response, writer: BlobWriter, total: number, onProgress?: ByteProgress): Promise<void> {
  const body = response.body;
  if (body === null) {
    await writer.write(new Uint8Array(await response.arrayBuffer()));
    onProgress?.(writer.written, total);
    return;
  }
  const reader = body.getReader();
  let reported = 0;
  onProgress?.(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    await writer.write(value);
    if (writer.written - reported >= 256 * 1024) {
      reported = writer.written;
      onProgress?.(reported, total);
    }
  }
  if (reported !== writer.written) onProgress?.(writer.written, total);
}
