// Where a registry named in an image reference is reached, shared by the
// client (page, worker, Node) and the dev-server proxy (Node).
//
// - "docker.io" is Docker Hub, whose API is at registry-1.docker.io and whose
//   login server is called "https://index.docker.io/v1/" by the docker CLI;
// - localhost, 127.0.0.0/8 and [::1] are spoken to over plain http, as
//   dockerd treats them as insecure registries by default;
// - everything else over https.

import { DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN } from "./reference.ts";

/** The host Docker Hub's registry API is served from. */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";
/** How the docker CLI names Docker Hub in `login`/`logout` messages and config.json. */
export const DOCKER_HUB_SERVER = "https://index.docker.io/v1/";

/** The host name without a port: "127.0.0.1:5000" → "127.0.0.1", "[::1]:5000" → "::1". */
export function hostName(host: string): string {
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    return close > 0 ? host.slice(1, close) : host;
  }
  const colon = host.lastIndexOf(":");
  return colon >= 0 && host.indexOf(":") === colon ? host.slice(0, colon) : host;
}

/** localhost, 127.0.0.0/8 or ::1 (with or without a port). */
export function isLoopbackHost(host: string): boolean {
  const name = hostName(host).toLowerCase();
  return name === "localhost" || name.endsWith(".localhost") || name === "::1" || /^127(?:\.\d{1,3}){3}$/.test(name);
}

/** The host:port a registry's API is served from ("docker.io" → "registry-1.docker.io"). */
export function registryApiHost(registry: string): string {
  return registry === DEFAULT_DOMAIN || registry === LEGACY_DEFAULT_DOMAIN ? DOCKER_HUB_API_HOST : registry;
}

/** "http" for loopback registries (and those listed as insecure), "https" otherwise. */
export function registryScheme(host: string, insecure: readonly string[] = []): "http" | "https" {
  return isLoopbackHost(host) || insecure.includes(host) ? "http" : "https";
}

/**
 * Normalises what `docker login`/`logout` accept as SERVER to a registry
 * name as image references spell it: "https://index.docker.io/v1/",
 * "registry-1.docker.io" and "docker.io" all become "docker.io";
 * "http://localhost:5000/" becomes "localhost:5000". Undefined: Docker Hub.
 */
export function normalizeRegistryName(server: string | undefined): string {
  if (server === undefined || server === "") return DEFAULT_DOMAIN;
  let s = server.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const slash = s.indexOf("/");
  if (slash >= 0) s = s.slice(0, slash);
  const lower = s.toLowerCase();
  if (lower === DEFAULT_DOMAIN || lower === LEGACY_DEFAULT_DOMAIN || lower === DOCKER_HUB_API_HOST) return DEFAULT_DOMAIN;
  return s;
}

/** The server name docker prints for a registry: "https://index.docker.io/v1/" for Docker Hub. */
export function displayServerName(registry: string): string {
  return registry === DEFAULT_DOMAIN ? DOCKER_HUB_SERVER : registry;
}
