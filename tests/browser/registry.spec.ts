// The distribution client in Chromium: a page pulls from Debian's
// docker-registry on 127.0.0.1 directly (the registry sends CORS headers),
// and from one with htpasswd auth, whose CORS preflight fails, through the
// registry proxy of the Vite dev server (src/registry/proxy-plugin.ts).
// The spec starts its own registries and a Vite dev server with the plugin
// serving tests/browser/fixtures/registry-client.html.

import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { createServer, type ViteDevServer } from "vite";
import { startRegistry, type TestRegistry } from "../../scripts/registry.mjs";
import { registryProxy } from "../../src/registry/proxy-plugin.ts";

const root = path.resolve(import.meta.dirname, "../..");
let open: TestRegistry;
let locked: TestRegistry;
let vite: ViteDevServer;
let pageUrl: string;

test.beforeAll(async () => {
  open = await startRegistry();
  locked = await startRegistry({ auth: { username: "page", password: "pa55" } });
  const layout = `oci:${path.join(root, "public/images/busybox")}:latest`;
  for (const [r, creds] of [[open, []], [locked, ["--dest-creds=page:pa55"]]] as const) {
    const copy = spawnSync("skopeo", ["copy", "--dest-tls-verify=false", ...creds, layout, `docker://${r.host}/page/busybox:latest`], { encoding: "utf8" });
    if (copy.status !== 0) throw new Error(`skopeo copy failed: ${copy.stderr}`);
  }
  vite = await createServer({ configFile: false, root, logLevel: "silent", plugins: [registryProxy()], server: { host: "127.0.0.1", port: 0, hmr: false }, optimizeDeps: { noDiscovery: true, entries: [] } });
  await vite.listen();
  const { port } = vite.httpServer!.address() as { port: number };
  pageUrl = `http://127.0.0.1:${port}/tests/browser/fixtures/registry-client.html`;
});

test.afterAll(async () => {
  await vite?.close();
  await open?.stop();
  await locked?.stop();
});

test("a page pulls from a registry with CORS headers directly", async ({ page }) => {
  await page.goto(pageUrl);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  const result = await page.evaluate(
    (registry) => (window as unknown as { pullInPage: (o: object) => Promise<{ seen: string[]; stored: number; messages: string[] }> }).pullInPage({ registry, path: "page/busybox", tag: "latest" }),
    open.host,
  );
  expect(result.stored).toBe(3); // config, layer, manifest
  expect(result.messages[0]).toBe("latest: Pulling from page/busybox");
  expect(result.messages.at(-1)).toMatch(/^Digest: sha256:/);
  expect(result.seen.every((u) => u.startsWith(`http://${open.host}/v2/`))).toBe(true);
});

test("a page pulls from a registry without usable CORS through the dev server's proxy", async ({ page }) => {
  await page.goto(pageUrl);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  const result = await page.evaluate(
    (registry) =>
      (window as unknown as { pullInPage: (o: object) => Promise<{ seen: string[]; stored: number }> }).pullInPage({
        registry,
        path: "page/busybox",
        tag: "latest",
        proxy: true,
        credentials: { username: "page", password: "pa55" },
      }),
    locked.host,
  );
  expect(result.stored).toBe(3);
  // The first direct request fails in the browser (its preflight gets a 401); the rest go through the proxy.
  expect(result.seen[0]).toBe(`http://${locked.host}/v2/page/busybox/manifests/latest`);
  expect(result.seen.slice(1).every((u) => u.includes(`/registry-proxy/${locked.host}/v2/`))).toBe(true);
});
