// Berth's service worker: published ports at same-origin paths.
//
//   <app base>port/<hostPort>/<path>   →   the container behind host port <hostPort>, at /<path>
//
// A request under port/<hostPort>/ (a tab, an iframe, a fetch) is handed to a
// Berth tab (a window of this origin that is not itself a port page) over a
// MessageChannel; the tab asks its engine worker (httpRequest) and answers.
// Requests a port page makes for absolute paths outside its prefix ("/app.js"
// from /port/8080/) are redirected into it, and Location headers get the
// prefix back, so that pages written for "/" work as they are.
//
// Plain JavaScript on purpose: it is served as it is from public/ (by the dev
// server and in the static build, at the app's base), so its scope is the
// base path wherever the app is hosted. The page side is src/ports/page.ts.
"use strict";

const VERSION = 1;
const REQUEST = "berth-port-request";
/** How long a tab has to acknowledge a request before the next one is asked. */
const ACK_MS = 3000;
/** How long an acknowledged request may take (the engine gives up at 120 s). */
const ANSWER_MS = 150000;
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length"];

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

/** "/base/port/" */
function portRoot() {
  return new URL(self.registration.scope).pathname + "port/";
}

/** The host port a same-origin URL of a port page is under, or 0. */
function portOf(href) {
  if (!href) return 0;
  let url;
  try {
    url = new URL(href);
  } catch {
    return 0;
  }
  if (url.origin !== self.location.origin || !url.pathname.startsWith(portRoot())) return 0;
  const m = /^(\d{1,5})\//.exec(url.pathname.slice(portRoot().length));
  return m ? Number(m[1]) : 0;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const root = portRoot();
  if (url.pathname.startsWith(root)) {
    const m = /^(\d{1,5})(\/.*)?$/.exec(url.pathname.slice(root.length));
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) return;
    const hostPort = Number(m[1]);
    if (m[2] === undefined) {
      // port/8080 → port/8080/, so that the page's relative URLs resolve inside the prefix.
      event.respondWith(Response.redirect(`${url.origin}${root}${hostPort}/${url.search}`, 302));
      return;
    }
    event.respondWith(proxy(request, hostPort, m[2] + url.search));
    return;
  }
  // A port page asking for an absolute path outside its prefix: it means its own.
  const from = portOf(request.referrer);
  if (from) {
    event.respondWith(Response.redirect(`${url.origin}${root}${from}${url.pathname}${url.search}`, 307));
    return;
  }
  if (!request.referrer && event.clientId) {
    event.respondWith(
      self.clients.get(event.clientId).then((client) => {
        const p = client ? portOf(client.url) : 0;
        return p ? Response.redirect(`${url.origin}${root}${p}${url.pathname}${url.search}`, 307) : fetch(request);
      }),
    );
  }
});

/** Berth tabs that may hold the engine: windows of this origin that are not port pages, focused first. */
async function hosts() {
  const all = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  return all.filter((c) => !portOf(c.url)).sort((a, b) => Number(b.focused) - Number(a.focused));
}

/** Asks one tab; resolves {response} | {error} | {silent}. */
function ask(client, message) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    let acked = false;
    const timer = setTimeout(() => {
      channel.port1.close();
      resolve(acked ? { error: "the Berth tab did not answer in time" } : { silent: true });
    }, ACK_MS);
    channel.port1.onmessage = (e) => {
      const data = e.data || {};
      if (data.type === "ack") {
        acked = true;
        clearTimeout(timer);
        setTimeout(() => {
          channel.port1.close();
          resolve({ error: "the Berth tab did not answer in time" });
        }, ANSWER_MS);
        return;
      }
      channel.port1.close();
      if (data.type === "response") resolve({ response: data.response });
      else resolve({ error: String(data.message || "the Berth tab could not answer") });
    };
    client.postMessage(message, [channel.port2]);
  });
}

async function proxy(request, hostPort, path) {
  let body = null;
  if (request.method !== "GET" && request.method !== "HEAD") body = new Uint8Array(await request.arrayBuffer());
  const message = {
    type: REQUEST,
    version: VERSION,
    hostPort,
    request: { method: request.method, path, headers: [...request.headers], body },
  };
  const tabs = await hosts();
  if (tabs.length === 0) {
    return errorPage(
      hostPort,
      "No Berth tab is open.",
      "Published ports are served by the Berth page and its engine. Open Berth in another tab (and start the container), then reload this page.",
    );
  }
  let notPublished = null;
  const problems = [];
  for (const tab of tabs) {
    const answer = await ask(tab, message);
    if (answer.response) {
      const r = answer.response;
      if (headerOf(r.headers, "x-berth-error") === "not-published") {
        notPublished = r;
        continue;
      }
      return toResponse(hostPort, r);
    }
    if (answer.error) problems.push(answer.error);
  }
  if (notPublished) return toResponse(hostPort, notPublished);
  if (problems.length) return errorPage(hostPort, `Port ${hostPort}: the Berth tab could not answer.`, problems.join("; "));
  return errorPage(
    hostPort,
    `Port ${hostPort}: no Berth tab answered.`,
    "The open Berth tabs are not serving published ports (still starting, or an older version). Reload the Berth tab, then this page.",
  );
}

function headerOf(headers, name) {
  const h = (headers || []).find(([k]) => k.toLowerCase() === name);
  return h ? h[1].trim().toLowerCase() : undefined;
}

/** A Location the container sent, moved under its prefix. */
function relocate(hostPort, value) {
  const prefix = `${portRoot()}${hostPort}`;
  if (value.startsWith("/") && !value.startsWith("//")) return prefix + value;
  try {
    const u = new URL(value);
    if ((u.hostname === "localhost" || u.hostname === "127.0.0.1") && Number(u.port || (u.protocol === "https:" ? 443 : 80)) === hostPort) {
      return `${self.location.origin}${prefix}${u.pathname}${u.search}${u.hash}`;
    }
  } catch {
    // relative ("page2", "../x"): fine as it is
  }
  return value;
}

function toResponse(hostPort, r) {
  const status = r.status;
  if (!(status >= 200 && status <= 599)) {
    return errorPage(hostPort, `Port ${hostPort}: the container answered with status ${status}.`, "That status cannot be passed on to the browser.");
  }
  const headers = new Headers();
  for (const [name, value] of r.headers || []) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.includes(lower)) continue;
    try {
      headers.append(name, lower === "location" ? relocate(hostPort, value) : value);
    } catch {
      // a header value the browser refuses: dropped
    }
  }
  const nullBody = status === 204 || status === 205 || status === 304;
  return new Response(nullBody ? null : r.body, { status, statusText: r.statusText || "", headers });
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function errorPage(hostPort, title, detail) {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>502 Bad Gateway: port ${hostPort}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}small{color:#777}</style></head>
<body><h1>502 Bad Gateway</h1>
<p><strong>${escapeHtml(title)}</strong></p>
<p>${escapeHtml(detail)}</p>
<p><small>Berth published-port proxy &middot; host port ${hostPort}</small></p>
</body></html>
`;
  return new Response(html, {
    status: 502,
    statusText: "Bad Gateway",
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Berth-Error": "no-tab" },
  });
}
