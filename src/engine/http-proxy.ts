// HTTP to a published port, for the page: the service worker (src/ports/)
// hands a request for /port/<hostPort>/<path> to the engine, which sends it
// as HTTP/1.1 with `Connection: close` over a guest connection (ports.ts) to
// the container and parses the answer (chunked, Content-Length, or until the
// server closes).
//
// Nothing is rewritten but what the path prefix needs (the service worker
// strips /port/<hostPort> before and fixes Location after). Hop-by-hop
// headers are dropped, Host is "localhost:<hostPort>" (what `curl
// localhost:8080` would send) unless the caller gives one, and a gzip or
// deflate body is decoded because a service worker's Response is never
// decoded by the browser.
//
// httpRequest never throws: a port that is not published, a connection that
// is refused, a server that answers garbage all come back as a 502 page that
// says which port and why, with an `X-Berth-Error` header telling the kinds
// apart (not-published, refused, unreachable, timeout, bad-response).

import { gunzip } from "../core/compress.ts";
import { BerthError, toBerthError } from "../core/errors.ts";
import { type GuestConnection, type GuestSpawner, type PortMap, openGuestConnection } from "./ports.ts";

/** A request as the service worker saw it, the /port/<hostPort> prefix already removed. */
export interface HttpRequest {
  method: string;
  /** Path and query as the container should see them, e.g. "/index.html?x=1". */
  path: string;
  /** Header pairs in order (repeats allowed). */
  headers: [string, string][];
  body?: Uint8Array | null;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
}

export type BerthHttpError = "not-published" | "refused" | "unreachable" | "timeout" | "bad-response" | "bad-request";

export interface HttpProxyOptions {
  /** Give up when the whole answer has not come within this time. Default 120 s. */
  timeoutMs?: number;
  /** Largest body accepted (bytes). Default 256 MiB. */
  maxBodyBytes?: number;
  /** Opens the connection (default: nc in the guest); tests pass a fake. */
  connect?: (ip: string, port: number) => Promise<GuestConnection>;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Request headers we set ourselves or that cannot be honoured over this path. */
const REQUEST_DROP = new Set([...HOP_BY_HOP, "host", "content-length", "expect", "accept-encoding"]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Sends req to the container behind hostPort (tcp) and returns its answer,
 * or a 502 page saying why there is none.
 */
export async function httpRequest(
  vm: GuestSpawner,
  ports: PortMap,
  hostPort: number,
  req: HttpRequest,
  opts: HttpProxyOptions = {},
): Promise<HttpResponse> {
  const entry = ports.lookup(hostPort, "tcp");
  if (!entry) {
    return badGateway(
      hostPort,
      "not-published",
      `Port ${hostPort} is not published.`,
      `No running container publishes host port ${hostPort}. Start one with docker run -p ${hostPort}:<container port> ...`,
    );
  }
  const target = `container ${entry.containerId.slice(0, 12)} port ${entry.containerPort} (${entry.containerIp}:${entry.containerPort})`;
  let conn: GuestConnection;
  try {
    const connect = opts.connect ?? ((ip: string, port: number) => openGuestConnection(vm, ip, port));
    conn = await connect(entry.containerIp, entry.containerPort);
  } catch (err) {
    return badGateway(hostPort, "unreachable", `Port ${hostPort}: cannot reach ${target}.`, toBerthError(err).message);
  }
  try {
    const res = await exchange(conn, req, { ...opts, host: headerValue(req.headers, "host") ?? hostHeader(hostPort) });
    // The body in a buffer of its own, so that it can be transferred (comlink, postMessage) as it is.
    return res.body.byteOffset === 0 && res.body.byteLength === res.body.buffer.byteLength ? res : { ...res, body: res.body.slice() };
  } catch (err) {
    const e = toBerthError(err);
    const kind = (e.details.httpError as BerthHttpError | undefined) ?? "bad-response";
    const title =
      kind === "refused"
        ? `Port ${hostPort}: nothing is listening on ${target}.`
        : kind === "bad-request"
          ? `Port ${hostPort}: the request cannot be sent.`
          : `Port ${hostPort}: no valid answer from ${target}.`;
    return badGateway(hostPort, kind, title, e.message, kind === "bad-request" ? 400 : 502);
  }
}

function hostHeader(hostPort: number): string {
  return hostPort === 80 ? "localhost" : `localhost:${hostPort}`;
}

function headerValue(headers: [string, string][], name: string): string | undefined {
  return headers.find(([k]) => k.toLowerCase() === name)?.[1];
}

/** One request/response over an open connection; the connection is closed after. Throws on failure. */
export async function exchange(
  conn: GuestConnection,
  req: HttpRequest,
  opts: HttpProxyOptions & { host: string },
): Promise<HttpResponse> {
  let head: Uint8Array;
  try {
    head = encodeRequestHead(req, opts.host);
  } catch (err) {
    conn.destroy();
    throw err;
  }
  const parser = new ResponseParser(req.method, opts.maxBodyBytes);
  const result = new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      finish(() =>
        reject(httpError("timeout", `no complete answer within ${formatMs(timeoutMs)} (${parser.describe()})`)),
      );
      conn.destroy();
    }, timeoutMs);
    conn.onData((data) => {
      if (settled) return;
      try {
        if (parser.push(data)) {
          finish(() => resolve(parser.result()));
          conn.destroy(); // a server that keeps the connection open despite Connection: close
        }
      } catch (err) {
        finish(() => reject(err));
        conn.destroy();
      }
    });
    conn.onClose((info) => {
      if (settled) return;
      if (info.error && info.received === 0) {
        const refused = /refused/i.test(info.error.message);
        finish(() => reject(httpError(refused ? "refused" : "unreachable", info.error!.message)));
        return;
      }
      try {
        const r = parser.end();
        finish(() => resolve(r));
      } catch (err) {
        finish(() => reject(err));
      }
    });
  });
  conn.write(head);
  if (req.body && req.body.length > 0) conn.write(req.body);
  const response = await result;
  return decodeBody(response);
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

function httpError(kind: BerthHttpError, message: string): BerthError {
  return new BerthError(kind === "bad-request" ? "invalid-argument" : "unavailable", message, { httpError: kind });
}

/** The request line and headers, with Connection: close and our Host and Content-Length. */
export function encodeRequestHead(req: HttpRequest, host: string): Uint8Array {
  const method = req.method.toUpperCase();
  if (!TOKEN.test(method)) throw httpError("bad-request", `invalid method: ${JSON.stringify(req.method)}`);
  if (!(req.path.startsWith("/") || (req.path === "*" && method === "OPTIONS")) || /[\s\x00-\x1f\x7f]/.test(req.path)) {
    throw httpError("bad-request", `invalid request path: ${JSON.stringify(req.path)}`);
  }
  const lines = [`${method} ${req.path} HTTP/1.1`, `Host: ${host}`];
  for (const [name, value] of req.headers) {
    if (!TOKEN.test(name)) throw httpError("bad-request", `invalid header name: ${JSON.stringify(name)}`);
    if (/[\r\n\0]/.test(value)) throw httpError("bad-request", `invalid value for header ${name}`);
    if (REQUEST_DROP.has(name.toLowerCase())) continue;
    lines.push(`${name}: ${value}`);
  }
  const bodyLength = req.body?.length ?? 0;
  if (bodyLength > 0 || ["POST", "PUT", "PATCH"].includes(method)) lines.push(`Content-Length: ${bodyLength}`);
  lines.push("Connection: close", "", "");
  return new TextEncoder().encode(lines.join("\r\n"));
}

// ---------- response parsing ----------

type State = "head" | "length" | "close" | "chunk-size" | "chunk-data" | "chunk-end" | "trailers" | "done";

const MAX_HEAD = 64 * 1024;

/** An incremental HTTP/1.x response parser: push bytes as they come, end() at close. */
export class ResponseParser {
  private state: State = "head";
  private pending: Uint8Array = new Uint8Array(0);
  private parts: Uint8Array[] = [];
  private bodyBytes = 0;
  private remaining = 0;
  private status = 0;
  private statusText = "";
  private headers: [string, string][] = [];

  constructor(
    private readonly method: string,
    private readonly maxBodyBytes = 256 * 1024 * 1024,
  ) {}

  /** Feeds bytes; true once the response is complete (later bytes are ignored). */
  push(data: Uint8Array): boolean {
    if (this.state === "done") return true;
    this.pending = this.pending.length === 0 ? data : concat2(this.pending, data);
    this.run();
    return this.complete;
  }

  get complete(): boolean {
    return this.state === "done";
  }

  /** The connection closed: the response as it stands, or why it is incomplete. */
  end(): HttpResponse {
    if (this.state === "close" || this.state === "done") {
      this.state = "done";
      return this.result();
    }
    if (this.state === "head") {
      if (this.pending.length === 0 && this.status === 0) throw httpError("bad-response", "the server closed the connection without answering");
      throw httpError("bad-response", "the server closed the connection in the middle of the response headers");
    }
    if (this.state === "length") {
      throw httpError("bad-response", `the server closed the connection after ${this.bodyBytes} of ${this.bodyBytes + this.remaining} body bytes`);
    }
    throw httpError("bad-response", `the server closed the connection in the middle of a chunked body (after ${this.bodyBytes} bytes)`);
  }

  result(): HttpResponse {
    if (this.state !== "done") throw new BerthError("internal", "response not complete");
    return { status: this.status, statusText: this.statusText, headers: this.headers, body: concatAll(this.parts, this.bodyBytes) };
  }

  /** Where parsing stands, for timeout messages. */
  describe(): string {
    if (this.state === "head") return this.status ? "interim response only" : "no response headers yet";
    return `status ${this.status}, ${this.bodyBytes} body bytes so far`;
  }

  private run(): void {
    for (;;) {
      switch (this.state) {
        case "head": {
          const found = findHeadEnd(this.pending);
          if (!found) {
            if (this.pending.length > MAX_HEAD) throw httpError("bad-response", `response headers longer than ${MAX_HEAD} bytes`);
            return;
          }
          const text = new TextDecoder("latin1").decode(this.pending.subarray(0, found.end)).replace(/\r$/, "");
          this.pending = this.pending.subarray(found.next);
          this.parseHead(text);
          break;
        }
        case "length": {
          const n = Math.min(this.remaining, this.pending.length);
          this.take(n);
          this.remaining -= n;
          if (this.remaining === 0) this.state = "done";
          else return;
          break;
        }
        case "close":
          if (this.pending.length > 0) this.take(this.pending.length);
          return;
        case "chunk-size": {
          const nl = this.pending.indexOf(0x0a);
          if (nl < 0) {
            if (this.pending.length > 4096) throw httpError("bad-response", "chunk size line too long");
            return;
          }
          const line = new TextDecoder("latin1").decode(this.pending.subarray(0, nl)).trim();
          this.pending = this.pending.subarray(nl + 1);
          const hex = line.split(";")[0]!.trim();
          if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) throw httpError("bad-response", `bad chunk size: ${JSON.stringify(line.slice(0, 40))}`);
          const size = parseInt(hex, 16);
          if (size === 0) this.state = "trailers";
          else {
            this.remaining = size;
            this.state = "chunk-data";
          }
          break;
        }
        case "chunk-data": {
          const n = Math.min(this.remaining, this.pending.length);
          this.take(n);
          this.remaining -= n;
          if (this.remaining > 0) return;
          this.state = "chunk-end";
          break;
        }
        case "chunk-end": {
          if (this.pending.length === 0) return;
          if (this.pending[0] === 0x0a) this.pending = this.pending.subarray(1);
          else if (this.pending[0] === 0x0d) {
            if (this.pending.length < 2) return;
            if (this.pending[1] !== 0x0a) throw httpError("bad-response", "chunk not followed by CRLF");
            this.pending = this.pending.subarray(2);
          } else throw httpError("bad-response", "chunk longer than its size");
          this.state = "chunk-size";
          break;
        }
        case "trailers": {
          const nl = this.pending.indexOf(0x0a);
          if (nl < 0) return;
          const line = new TextDecoder("latin1").decode(this.pending.subarray(0, nl)).trim();
          this.pending = this.pending.subarray(nl + 1);
          if (line === "") this.state = "done";
          break;
        }
        case "done":
          return;
      }
    }
  }

  private take(n: number): void {
    if (n === 0) return;
    this.bodyBytes += n;
    if (this.bodyBytes > this.maxBodyBytes) throw httpError("bad-response", `response body larger than ${this.maxBodyBytes} bytes`);
    // Copy: pending may be a view of a buffer the transport reuses.
    this.parts.push(this.pending.slice(0, n));
    this.pending = this.pending.subarray(n);
  }

  private parseHead(text: string): void {
    const lines = text.split(/\r?\n/);
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (!m) throw httpError("bad-response", `not an HTTP/1.x response: ${JSON.stringify(lines[0]!.slice(0, 60))}`);
    const status = Number(m[1]);
    const headers: [string, string][] = [];
    for (const line of lines.slice(1)) {
      if (line === "") continue;
      if (/^[ \t]/.test(line) && headers.length > 0) {
        // obsolete line folding
        headers[headers.length - 1]![1] += " " + line.trim();
        continue;
      }
      const colon = line.indexOf(":");
      if (colon <= 0) throw httpError("bad-response", `bad response header line: ${JSON.stringify(line.slice(0, 60))}`);
      headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
    if (status >= 100 && status < 200) {
      if (status === 101) throw httpError("bad-response", "the server switched protocols (101): upgrades such as WebSocket cannot pass through here");
      this.status = status; // an interim answer (100 Continue, 103 Early Hints): the real one follows
      return;
    }
    this.status = status;
    this.statusText = m[2] ?? "";
    this.headers = headers;
    const get = (name: string) => headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
    if (this.method.toUpperCase() === "HEAD" || status === 204 || status === 304) {
      this.state = "done";
      return;
    }
    const te = get("transfer-encoding").join(",").toLowerCase();
    if (te) {
      this.state = te.split(",").pop()!.trim() === "chunked" ? "chunk-size" : "close";
      return;
    }
    const lengths = [...new Set(get("content-length").flatMap((v) => v.split(",").map((s) => s.trim())))];
    if (lengths.length > 1 || (lengths.length === 1 && !/^\d+$/.test(lengths[0]!))) {
      throw httpError("bad-response", `bad Content-Length: ${get("content-length").join(", ")}`);
    }
    if (lengths.length === 1) {
      this.remaining = Number(lengths[0]);
      if (this.remaining > this.maxBodyBytes) throw httpError("bad-response", `response body larger than ${this.maxBodyBytes} bytes`);
      this.state = this.remaining === 0 ? "done" : "length";
      return;
    }
    this.state = "close";
  }
}

/** Where the head ends: its text is b[0, end); the body starts at next. Bare-LF servers are accepted. */
function findHeadEnd(b: Uint8Array): { end: number; next: number } | null {
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== 0x0a) continue;
    if (b[i + 1] === 0x0a) return { end: i, next: i + 2 };
    if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) return { end: i, next: i + 3 };
  }
  return null;
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function concatAll(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Decodes a gzip or deflate body (a service worker's Response is never decoded by the browser). */
async function decodeBody(r: HttpResponse): Promise<HttpResponse> {
  const enc = r.headers.find(([k]) => k.toLowerCase() === "content-encoding")?.[1].trim().toLowerCase();
  if (!enc || enc === "identity" || r.body.length === 0) return r;
  let body: Uint8Array;
  try {
    if (enc === "gzip" || enc === "x-gzip") body = await gunzip(r.body, "response body");
    else if (enc === "deflate") body = await inflate(r.body);
    else return r; // br, zstd...: passed on as they are
  } catch (err) {
    throw httpError("bad-response", `cannot decode the ${enc} body: ${toBerthError(err).message}`);
  }
  const headers = r.headers.filter(([k]) => !["content-encoding", "content-length"].includes(k.toLowerCase()));
  headers.push(["Content-Length", String(body.length)]);
  return { ...r, headers, body };
}

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// ---------- the 502 page ----------

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A small HTML page saying which port and why (also readable as text). */
export function badGateway(hostPort: number, kind: BerthHttpError, title: string, detail: string, status = 502): HttpResponse {
  const statusText = status === 400 ? "Bad Request" : "Bad Gateway";
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${status} ${statusText}: port ${hostPort}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}
code{background:#f2f2f2;padding:0 .25em}small{color:#777}</style></head>
<body><h1>${status} ${statusText}</h1>
<p><strong>${escapeHtml(title)}</strong></p>
<p>${escapeHtml(detail)}</p>
<p><small>Berth published-port proxy &middot; host port ${hostPort} &middot; ${kind}</small></p>
</body></html>
`;
  const body = new TextEncoder().encode(html);
  return {
    status,
    statusText,
    headers: [
      ["Content-Type", "text/html; charset=utf-8"],
      ["Content-Length", String(body.length)],
      ["Cache-Control", "no-store"],
      ["X-Berth-Error", kind],
    ],
    body,
  };
}
