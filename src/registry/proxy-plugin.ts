// A registry proxy for the Vite dev and preview servers: a page cannot read
// answers from registries that send no CORS headers (Docker Hub among them),
// so the engine's client sends those requests to its own origin instead:
//
//   /registry-proxy/<host>/<path>?<query>  →  https://<host>/<path>?<query>
//
// (http for localhost, 127.0.0.0/8 and [::1], as the client does). Methods,
// bodies and headers are forwarded both ways, streamed; the browser's own
// headers (Origin, Cookie, Referer, ...) are not. Redirects of GET and HEAD
// (Docker Hub sends blob downloads to a CDN) are followed here, dropping
// Authorization when the host changes. Locations in answers are passed on
// untouched: the client maps them back through the proxy itself.
// WWW-Authenticate comes back as X-Registry-WWW-Authenticate, so that the
// browser does not answer a Basic challenge with its own login dialog.
//
// It is meant for a development server on 127.0.0.1: it forwards to any host
// a page names. Do not expose it on a public address.
//
//   // vite.config.ts
//   import { registryProxy } from "./src/registry/proxy-plugin.ts";
//   plugins: [react(), registryProxy()],

import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { Plugin } from "vite";
import { registryScheme } from "./hosts.ts";

export const REGISTRY_PROXY_PATH = "/registry-proxy/";
/** The header the proxy passes a registry's WWW-Authenticate in (see below). */
export const CHALLENGE_HEADER = "x-registry-www-authenticate";

export interface RegistryProxyOptions {
  /** URL path the proxy answers under (default "/registry-proxy/"). */
  readonly path?: string;
  /** Hosts (host:port) to reach over plain http besides loopback ones. */
  readonly insecureRegistries?: readonly string[];
  /** Refuse hosts this returns false for (default: every host is allowed). */
  readonly allowHost?: (host: string) => boolean;
  /** Redirects followed for GET and HEAD (default 5). */
  readonly maxRedirects?: number;
}

type Next = (err?: unknown) => void;
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Request headers not passed upstream: hop-by-hop ones and what belongs to the page. */
const DROP_REQUEST = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "upgrade",
  "origin",
  "referer",
  "cookie",
  "accept-encoding",
]);
const DROP_RESPONSE = new Set(["connection", "keep-alive", "transfer-encoding", "trailer", "upgrade", "set-cookie"]);

function errorBody(message: string): string {
  return JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: `registry proxy: ${message}`, detail: null }] });
}

function fail(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" });
  res.end(errorBody(message));
}

function forwardHeaders(headers: IncomingHttpHeaders, host: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || DROP_REQUEST.has(key) || key.startsWith("sec-")) continue;
    out[key] = value;
  }
  out.host = host;
  return out;
}

/** The connect-style middleware (what the plugin installs); usable with any Node http server. */
export function registryProxyMiddleware(options: RegistryProxyOptions = {}): Middleware {
  const prefix = options.path ?? REGISTRY_PROXY_PATH;
  const maxRedirects = options.maxRedirects ?? 5;
  return (req, res, next) => {
    const raw = req.url ?? "";
    if (!raw.startsWith(prefix)) return next();
    const rest = raw.slice(prefix.length);
    const slash = rest.indexOf("/");
    const host = slash < 0 ? rest.split("?")[0]! : rest.slice(0, slash);
    if (!HOST.test(host)) return fail(res, 400, `${JSON.stringify(host)} is not a registry host`);
    if (options.allowHost && !options.allowHost(host)) return fail(res, 403, `${host} is not allowed`);
    const method = (req.method ?? "GET").toUpperCase();
    let target: URL;
    try {
      target = new URL(`${registryScheme(host, options.insecureRegistries)}://${host}/${slash < 0 ? "" : rest.slice(slash + 1)}`);
    } catch {
      return fail(res, 400, `bad URL ${JSON.stringify(raw)}`);
    }
    const headers = forwardHeaders(req.headers, host);
    const follow = method === "GET" || method === "HEAD";

    const send = (url: URL, hops: number, sendHeaders: Record<string, string | string[]>) => {
      const transport = url.protocol === "https:" ? https : http;
      const upstream = transport.request(url, { method, headers: { ...sendHeaders, host: url.host } }, (answer) => {
        const status = answer.statusCode ?? 502;
        const location = answer.headers.location;
        if (follow && location && [301, 302, 303, 307, 308].includes(status) && hops < maxRedirects) {
          answer.resume();
          const nextUrl = new URL(location, url);
          const nextHeaders = { ...sendHeaders };
          if (nextUrl.host !== url.host) delete nextHeaders.authorization;
          send(nextUrl, hops + 1, nextHeaders);
          return;
        }
        const out: Record<string, string | string[]> = {};
        for (const [key, value] of Object.entries(answer.headers)) {
          if (value === undefined || DROP_RESPONSE.has(key)) continue;
          // A same-origin 401 with WWW-Authenticate: Basic makes a browser open its own
          // login dialog (and a headless one wait forever): pass the challenge under another name.
          out[key === "www-authenticate" ? CHALLENGE_HEADER : key] = value;
        }
        res.writeHead(status, answer.statusMessage, out);
        answer.pipe(res);
        answer.on("error", () => res.destroy());
      });
      upstream.on("error", (err) => fail(res, 502, `${method} ${url.href}: ${err.message}`));
      if (hops === 0 && !follow) req.pipe(upstream);
      else upstream.end();
    };
    send(target, 0, headers);
  };
}

/** The Vite plugin: the proxy on `vite` (dev) and `vite preview`. */
export function registryProxy(options: RegistryProxyOptions = {}): Plugin {
  const middleware = registryProxyMiddleware(options);
  return {
    name: "berth-registry-proxy",
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}
