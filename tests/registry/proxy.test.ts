// The registry proxy for pages: the middleware on a plain Node server, the
// Vite plugin on a real dev server and preview server, and the client's
// fallback from a direct request that fails (as a CORS refusal does) to the
// proxy. The registries are local: there is no internet here.

import http from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, preview } from "vite";
import { startRegistry, type TestRegistry } from "../../scripts/registry.mjs";
import { registryProxy, registryProxyMiddleware } from "../../src/registry/proxy-plugin.ts";
import { RegistryClient } from "../../src/registry/client.ts";
import { helloImage, testEngine } from "./helpers.ts";

let registry: TestRegistry;
let server: http.Server;
let base: string;

beforeAll(async () => {
  registry = await startRegistry({ auth: { username: "proxy", password: "pr0xy" } });
  const middleware = registryProxyMiddleware();
  server = http.createServer((req, res) =>
    middleware(req, res, () => {
      res.writeHead(404);
      res.end("not the proxy");
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/registry-proxy/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await registry?.stop();
});

describe("registry proxy middleware", () => {
  it("carries login, push and pull (uploads, Locations, auth) to the registry", async () => {
    const engine = await testEngine({ proxy: { base, use: () => true } });
    await engine.dist.login({ server: registry.host, username: "proxy", password: "pr0xy" });
    const ref = `${registry.host}/berth/proxied:1`;
    const image = await helloImage(engine, ref, "through the proxy\n");
    await engine.dist.push(ref, {}, () => {});
    expect(engine.requests.length).toBeGreaterThan(5);
    expect(engine.requests.every((r) => r.url.startsWith(`${base}${registry.host}/v2/`))).toBe(true);
    expect(engine.requests.some((r) => r.method === "PUT" && r.url.includes("/blobs/uploads/") && r.status === 201)).toBe(true);

    const other = await testEngine({ empty: true, proxy: { base, use: () => true } });
    await other.dist.login({ server: registry.host, username: "proxy", password: "pr0xy" });
    expect((await other.dist.pull(ref, {}, () => {})).id).toBe(image.id);
  });

  it("goes through the proxy when a direct request fails at the network level", async () => {
    const seen: string[] = [];
    const corsless: typeof fetch = async (input, init) => {
      const url = String(input);
      seen.push(url);
      if (!url.startsWith(base)) throw new TypeError("Failed to fetch"); // what a page sees without CORS headers
      return fetch(input, init);
    };
    const client = new RegistryClient({ fetch: corsless, proxy: { base, use: () => false } });
    await client.login(registry.host, { username: "proxy", password: "pr0xy" });
    expect(seen[0]).toBe(`http://${registry.host}/v2/`);
    expect(seen[1]).toBe(`${base}${registry.host}/v2/`);
    expect(seen.slice(2).every((u) => u.startsWith(base))).toBe(true);
  });

  it("follows redirects of downloads and drops Authorization on another host", async () => {
    let cdnAuthorization: string | undefined = "unset";
    const cdn = http.createServer((req, res) => {
      cdnAuthorization = req.headers.authorization;
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end("blob bytes");
    });
    await new Promise<void>((resolve) => cdn.listen(0, "127.0.0.1", resolve));
    const cdnPort = (cdn.address() as { port: number }).port;
    const origin = http.createServer((req, res) => {
      res.writeHead(307, { location: `http://localhost:${cdnPort}/data?sig=1` });
      res.end();
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    const originPort = (origin.address() as { port: number }).port;
    try {
      const response = await fetch(`${base}127.0.0.1:${originPort}/v2/x/blobs/sha256:00`, { headers: { authorization: "Bearer secret" } });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("blob bytes");
      expect(cdnAuthorization).toBeUndefined();
    } finally {
      cdn.close();
      origin.close();
    }
  });

  it("refuses what is not a host, and answers 502 when the registry is down", async () => {
    const bad = await fetch(`${base}not a host/v2/`);
    expect(bad.status).toBe(400);
    const down = await fetch(`${base}127.0.0.1:9/v2/`);
    expect(down.status).toBe(502);
    expect(((await down.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(/^registry proxy: GET http:\/\/127\.0\.0\.1:9\/v2\/: /);
  });
});

describe("registry proxy Vite plugin", () => {
  it("serves /registry-proxy/ on the dev server and on vite preview", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "berth-proxy-vite-"));
    writeFileSync(path.join(root, "index.html"), "<!doctype html><title>berth</title>");
    const dev = await createServer({ configFile: false, root, logLevel: "silent", plugins: [registryProxy()], server: { host: "127.0.0.1", port: 0 } });
    try {
      await dev.listen();
      const address = dev.httpServer!.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${address.port}/registry-proxy/${registry.host}/v2/`);
      expect(response.status).toBe(401);
      // Renamed, so that a browser does not open its own login dialog for the Basic challenge.
      expect(response.headers.get("www-authenticate")).toBeNull();
      expect(response.headers.get("x-registry-www-authenticate")).toBe(`Basic realm="berth-test-registry"`);
    } finally {
      await dev.close();
    }
    const dist = path.join(root, "dist");
    mkdirSync(dist);
    writeFileSync(path.join(dist, "index.html"), "<!doctype html><title>berth</title>");
    const served = await preview({ configFile: false, root, logLevel: "silent", plugins: [registryProxy()], preview: { host: "127.0.0.1", port: 0 } });
    try {
      const address = served.httpServer.address() as { port: number };
      const credentials = { username: "proxy", password: "pr0xy" };
      const client = new RegistryClient({ proxy: { base: `http://127.0.0.1:${address.port}/registry-proxy/`, use: () => true }, credentials: () => credentials });
      const tags = await client.repository({ domain: registry.host, path: "berth/proxied" }).listTags();
      expect(tags).toEqual(["1"]);
    } finally {
      await new Promise<void>((resolve) => served.httpServer.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    }
  });
});
