// Published ports in Chromium: the service worker from the build (dist/berth-sw.js)
// → a host page → a fake engine, through src/ports/page.ts. The host page
// (tests/browser/fixtures/ports-host.html) stands in for the Berth page, so
// this checks the SW → page → handler path without the engine worker.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, type Page, expect, test } from "@playwright/test";
import ts from "typescript";

const here = path.dirname(fileURLToPath(import.meta.url));
const hostHtml = readFileSync(path.join(here, "fixtures/ports-host.html"), "utf8");
// page.ts has only type imports: stripping the types is all it needs.
const pageJs = ts.transpileModule(readFileSync(path.join(here, "../../src/ports/page.ts"), "utf8"), {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
}).outputText;

/** Serves the host page on the preview server's origin and waits for its service worker. */
async function openHost(context: BrowserContext): Promise<Page> {
  await context.route("**/__ports-host.html", (route) => route.fulfill({ contentType: "text/html", body: hostHtml }));
  await context.route("**/__ports/page.js", (route) => route.fulfill({ contentType: "text/javascript", body: pageJs }));
  const host = await context.newPage();
  await host.goto("/__ports-host.html");
  expect(await host.evaluate(() => (window as unknown as { ready: Promise<boolean> }).ready)).toBe(true);
  return host;
}

test("a fetch under port/<n>/ reaches the page's handler with method, path, headers and body", async ({ context }) => {
  const host = await openHost(context);
  const result = await host.evaluate(async () => {
    const r = await fetch("port/8080/echo/a%20b?x=1&y=2", { method: "POST", headers: { "X-Test": "yes" }, body: "payload" });
    return { status: r.status, type: r.headers.get("content-type"), multi: r.headers.get("x-multi"), json: await r.json() };
  });
  expect(result.status).toBe(200);
  expect(result.type).toBe("application/json");
  expect(result.multi).toBe("a, b");
  expect(result.json).toMatchObject({ hostPort: 8080, method: "POST", path: "/echo/a%20b?x=1&y=2", body: "payload" });
  expect(result.json.headers).toContainEqual(["x-test", "yes"]);

  const bin = await host.evaluate(async () => Array.from(new Uint8Array(await (await fetch("port/8080/bin")).arrayBuffer())));
  expect(bin).toEqual(Array.from({ length: 256 }, (_, i) => i));
  expect(await host.evaluate(async () => (await fetch("port/8080/empty")).status)).toBe(204);
  expect(await host.evaluate(() => (window as unknown as { portUrl: (p: number) => string }).portUrl(8080))).toBe(
    new URL("/port/8080/", host.url()).href,
  );
});

test("a published port opens in a tab of its own; absolute links and redirects stay under its prefix", async ({ context, baseURL }) => {
  const host = await openHost(context);
  const tab = await context.newPage();

  // port/8080 without the slash: redirected, so that relative URLs resolve inside the prefix.
  await tab.goto("/port/8080");
  expect(new URL(tab.url()).pathname).toBe("/port/8080/");
  await expect(tab.locator("#title")).toHaveText("hello from port 8080");
  // The page's fetch("/api/data") was redirected to /port/8080/api/data.
  await expect(tab.locator("body")).toHaveAttribute("data-api", /8080 GET \/api\/data/);

  await tab.click("#abs");
  await expect(tab).toHaveURL(`${baseURL}port/8080/elsewhere?x=1`);
  await expect(tab.locator("#path")).toHaveText("8080 GET /elsewhere?x=1");

  await tab.goto("/port/8080/page");
  await tab.click("#rel");
  await expect(tab.locator("#path")).toHaveText("8080 GET /page2");

  // Location: /target → /port/8080/target
  await tab.goto("/port/8080/redirect");
  await expect(tab).toHaveURL(`${baseURL}port/8080/target?from=redirect`);
  await expect(tab.locator("#path")).toHaveText("8080 GET /target?from=redirect");

  const seen = await host.evaluate(() => (window as unknown as { seen: { path: string }[] }).seen.map((s) => s.path));
  expect(seen).toEqual(expect.arrayContaining(["/", "/api/data", "/elsewhere?x=1", "/page", "/page2", "/redirect", "/target?from=redirect"]));
});

test("a published port shows in an iframe of the page", async ({ context }) => {
  const host = await openHost(context);
  await host.evaluate(() => {
    const frame = document.createElement("iframe");
    frame.id = "preview";
    frame.src = (window as unknown as { portUrl: (p: number, path?: string) => string }).portUrl(8081, "/page");
    document.body.append(frame);
  });
  const frame = host.frameLocator("#preview");
  await expect(frame.locator("#title")).toHaveText("hello from port 8081");
  await expect(frame.locator("body")).toHaveAttribute("data-api", /8081 GET \/api\/data/);
});

test("502 pages say which port and why", async ({ context }) => {
  const host = await openHost(context);
  const tab = await context.newPage();

  const notPublished = await tab.goto("/port/9999/");
  expect(notPublished?.status()).toBe(502);
  await expect(tab.locator("body")).toContainText("Port 9999 is not published.");

  const failing = await tab.goto("/port/7777/");
  expect(failing?.status()).toBe(502);
  await expect(tab.locator("body")).toContainText("Port 7777: the Berth tab could not answer.");
  await expect(tab.locator("body")).toContainText("the guest is not started");

  // With no Berth tab left, the service worker answers by itself.
  await host.close();
  const orphan = await tab.goto("/port/8080/");
  expect(orphan?.status()).toBe(502);
  await expect(tab.locator("body")).toContainText("No Berth tab is open.");
  await expect(tab).toHaveTitle("502 Bad Gateway: port 8080");
});

test("pages outside port/ are left alone", async ({ context }) => {
  const host = await openHost(context);
  const r = await host.evaluate(async () => {
    const res = await fetch("guest/manifest.json");
    return { status: res.status, type: res.headers.get("content-type") };
  });
  expect(r.status).toBe(200);
  expect(r.type).toContain("json");
  const seen = await host.evaluate(() => (window as unknown as { seen: unknown[] }).seen.length);
  expect(seen).toBe(0);
});

test("under a sub-path the scope is that path and port pages stay inside it", async ({ context, baseURL }) => {
  // The static build hosted at /sub/: requests for /sub/x are served from /x.
  await context.route("**/sub/**", async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === "/sub/__ports-host.html") return route.fulfill({ contentType: "text/html", body: hostHtml });
    if (url.pathname === "/sub/__ports/page.js") return route.fulfill({ contentType: "text/javascript", body: pageJs });
    url.pathname = url.pathname.replace(/^\/sub\//, "/");
    return route.fulfill({ response: await route.fetch({ url: url.href }) });
  });
  const host = await context.newPage();
  await host.goto("/sub/__ports-host.html");
  expect(await host.evaluate(() => (window as unknown as { ready: Promise<boolean> }).ready)).toBe(true);
  expect(await host.evaluate(async () => (await navigator.serviceWorker.ready).scope)).toBe(`${baseURL}sub/`);

  const tab = await context.newPage();
  await tab.goto("/sub/port/8080/");
  await expect(tab.locator("#title")).toHaveText("hello from port 8080");
  // fetch("/api/data") from the port page: redirected to /sub/port/8080/api/data
  await expect(tab.locator("body")).toHaveAttribute("data-api", /8080 GET \/api\/data/);
  await tab.goto("/sub/port/8080/redirect");
  await expect(tab).toHaveURL(`${baseURL}sub/port/8080/target?from=redirect`);
});
