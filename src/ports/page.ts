// The page's side of published ports: registers the service worker
// (public/berth-sw.js) and answers the requests it forwards, by handing them
// to the engine (httpRequest in the worker). A published port lives at
//
//   <app base>port/<hostPort>/<path>      e.g. ./port/8080/  (portUrl(8080))
//
// in a tab of its own or in an iframe. This module has no runtime imports, so
// it can be loaded on its own (tests/browser/ports.spec.ts does).
import type { HttpRequest, HttpResponse } from "../engine/http-proxy.ts";

/** The service worker, at the app's base (public/berth-sw.js). */
export const SERVICE_WORKER_FILE = "berth-sw.js";

const REQUEST = "berth-port-request";

/** "port/8080/" + path, relative to the app's base. */
export function portPath(hostPort: number, path = "/"): string {
  return `port/${hostPort}${path.startsWith("/") ? path : `/${path}`}`;
}

/** The absolute URL a published port is viewed at, e.g. http://host/base/port/8080/. */
export function portUrl(hostPort: number, path = "/", base: string = document.baseURI): string {
  return new URL(portPath(hostPort, path), base).href;
}

/** Whether this browser can show published ports (service workers need a secure context). */
export function portsSupported(): boolean {
  return typeof navigator !== "undefined" && "serviceWorker" in navigator;
}

/**
 * Registers the service worker with the app's base as its scope; resolves once
 * it is active (port URLs work from then on), or null where service workers
 * are unavailable (plain http on a non-local address, some private modes).
 */
export async function registerPortServiceWorker(base: string = document.baseURI): Promise<ServiceWorkerRegistration | null> {
  if (!portsSupported()) return null;
  await navigator.serviceWorker.register(new URL(SERVICE_WORKER_FILE, base).href, { scope: new URL("./", base).href });
  return navigator.serviceWorker.ready;
}

/** Answers a forwarded request: the engine's httpRequest(hostPort, request). */
export type PortHandler = (hostPort: number, request: HttpRequest) => Promise<HttpResponse>;

/**
 * Serves the service worker's requests with `handler` until the returned
 * function is called. A handler that throws makes a 502 page with its message.
 */
export function servePorts(handler: PortHandler): () => void {
  if (!portsSupported()) return () => {};
  const container = navigator.serviceWorker;
  const onMessage = (event: MessageEvent) => {
    const data = event.data as { type?: string; hostPort?: number; request?: HttpRequest } | null;
    const reply = event.ports[0];
    if (data?.type !== REQUEST || !reply || typeof data.hostPort !== "number" || !data.request) return;
    reply.postMessage({ type: "ack" });
    void handle(handler, data.hostPort, data.request, reply);
  };
  container.addEventListener("message", onMessage);
  container.startMessages();
  return () => container.removeEventListener("message", onMessage);
}

async function handle(handler: PortHandler, hostPort: number, request: HttpRequest, reply: MessagePort): Promise<void> {
  try {
    const res = await handler(hostPort, { ...request, body: request.body ?? null });
    const body = ownBuffer(res.body);
    reply.postMessage(
      { type: "response", response: { status: res.status, statusText: res.statusText, headers: res.headers, body } },
      [body.buffer as ArrayBuffer],
    );
  } catch (err) {
    reply.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
  } finally {
    reply.close();
  }
}

/** The bytes in a buffer of their own (transferable without taking a larger buffer along). */
function ownBuffer(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
}
