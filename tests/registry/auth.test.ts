// Registry auth: htpasswd Basic auth on the real docker-registry, and the
// Bearer token flow through a small token-checking front (in this test)
// that forwards to a real registry.

import http from "node:http";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRegistry, type TestRegistry } from "../../scripts/registry.mjs";
import { CREDENTIALS_META_PREFIX } from "../../src/engine/distribution.ts";
import { helloImage, progress, rejection, run, testEngine } from "./helpers.ts";

const USER = "berth";
const PASSWORD = "s3cret-Pa55";

describe("Basic auth (htpasswd)", () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: { username: USER, password: PASSWORD } });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("refuses a wrong password with dockerd's words and stores nothing", async () => {
    const engine = await testEngine();
    const err = await rejection(engine.dist.login({ server: registry.host, username: USER, password: "wrong" }));
    expect(err.kind).toBe("unauthorized");
    expect(err.message).toBe(`Get "http://${registry.host}/v2/": unauthorized: authentication required`);
    expect(await engine.storage.refs.listMeta(CREDENTIALS_META_PREFIX)).toEqual([]);
  });

  it("needs a login to push and pull, and forgets it on logout", async () => {
    const engine = await testEngine();
    const ref = `${registry.host}/berth/private:1`;
    const image = await helloImage(engine, ref, "private\n");
    const denied = await rejection(engine.dist.push(ref, {}, () => {}));
    expect(denied.kind).toBe("unauthorized");
    expect(denied.message).toMatch(/: no basic auth credentials$/);

    expect(await engine.dist.login({ server: `http://${registry.host}/`, username: USER, password: PASSWORD })).toEqual({
      status: "Login Succeeded",
      server: registry.host,
    });
    expect(await engine.storage.refs.getMeta(CREDENTIALS_META_PREFIX + registry.host)).toEqual({ username: USER, password: PASSWORD });
    const p = progress();
    engine.requests.length = 0;
    const [pushed] = await engine.dist.push(ref, {}, p.on);
    expect(pushed!.digest).toBe(image.manifestDigest);
    expect(JSON.stringify(p.messages)).not.toContain(PASSWORD);
    // The login taught the client the challenge: every request carried the credentials at once.
    expect(engine.requests.filter((r) => r.status === 401)).toEqual([]);

    const inspect = JSON.parse(run("skopeo", ["inspect", "--tls-verify=false", `--creds=${USER}:${PASSWORD}`, `docker://${ref}`]).stdout) as { Digest: string };
    expect(inspect.Digest).toBe(image.manifestDigest);

    const other = await testEngine({ empty: true });
    const anonymous = await rejection(other.dist.pull(ref, {}, () => {}));
    expect(anonymous.message).toBe(`Get "http://${registry.host}/v2/berth/private/manifests/1": no basic auth credentials`);
    await other.dist.login({ server: registry.host, username: USER, password: PASSWORD });
    expect((await other.dist.pull(ref, {}, () => {})).id).toBe(image.id);

    expect(await other.dist.logout(registry.host)).toEqual({ server: registry.host, removed: true });
    expect(await other.dist.logout(registry.host)).toEqual({ server: registry.host, removed: false });
    expect(await other.storage.refs.listMeta(CREDENTIALS_META_PREFIX)).toEqual([]);
    const after = await rejection(other.dist.pull(ref, {}, () => {}));
    expect(after.message).toMatch(/no basic auth credentials$/);
  });
});

/** A token server and a registry front that demands its tokens, forwarding to `upstream`. */
async function tokenFront(upstream: TestRegistry) {
  const tokens = new Map<string, Set<string>>();
  const tokenRequests: { scopes: string[]; user?: string }[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
    if (url.pathname === "/token") {
      const auth = req.headers.authorization;
      let user: string | undefined;
      if (auth?.startsWith("Basic ")) {
        const [u, p] = Buffer.from(auth.slice(6), "base64").toString("utf8").split(":");
        if (u !== USER || p !== PASSWORD) {
          res.writeHead(401, { "content-type": "application/json" });
          res.end(JSON.stringify({ details: "incorrect username or password" }));
          return;
        }
        user = u;
      }
      const scopes = url.searchParams.getAll("scope");
      tokenRequests.push({ scopes, ...(user ? { user } : {}) });
      const granted = new Set<string>();
      for (const scope of scopes) {
        const [, name, actions] = /^repository:(.+):([^:]+)$/.exec(scope) ?? [];
        for (const action of actions?.split(",") ?? []) if (user !== undefined || action === "pull") granted.add(`${name}:${action}`);
      }
      const token = randomBytes(12).toString("hex");
      tokens.set(token, granted);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs|tags)\//.exec(url.pathname);
    const needs = match ? `${match[1]}:${req.method === "GET" || req.method === "HEAD" ? "pull" : "push"}` : undefined;
    const bearer = req.headers.authorization?.startsWith("Bearer ") ? req.headers.authorization.slice(7) : undefined;
    const granted = bearer !== undefined ? tokens.get(bearer) : undefined;
    const mountFrom = url.searchParams.get("from");
    const ok = granted !== undefined && (needs === undefined || granted.has(needs)) && (mountFrom === null || granted.has(`${mountFrom}:pull`));
    if (!ok) {
      const scope = match ? ` ,scope="repository:${match[1]}:${needs!.endsWith("push") ? "pull,push" : "pull"}"` : "";
      res.writeHead(401, {
        "content-type": "application/json",
        "www-authenticate": `Bearer realm="http://${req.headers.host}/token",service="berth-test"${scope.replace(" ", "")}`,
      });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required", detail: null }] }));
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const forward = http.request({ host: "127.0.0.1", port: upstream.port, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { host: `127.0.0.1:${port}`, tokenRequests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("Bearer tokens", () => {
  let upstream: TestRegistry;
  let front: Awaited<ReturnType<typeof tokenFront>>;
  beforeAll(async () => {
    upstream = await startRegistry();
    front = await tokenFront(upstream);
  });
  afterAll(async () => {
    await front?.close();
    await upstream?.stop();
  });

  it("logs in through the token server, and says so when it refuses", async () => {
    const engine = await testEngine();
    const err = await rejection(engine.dist.login({ server: front.host, username: USER, password: "nope" }));
    expect(err.message).toBe(`Get "http://${front.host}/v2/": unauthorized: incorrect username or password`);
    expect((await engine.dist.login({ server: front.host, username: USER, password: PASSWORD })).status).toBe("Login Succeeded");
  });

  it("pushes with a pull,push token and mounts with pull on the source", async () => {
    const engine = await testEngine();
    await engine.dist.login({ server: front.host, username: USER, password: PASSWORD });
    const ref = `${front.host}/berth/bearer:1`;
    const image = await helloImage(engine, ref, "bearer\n");
    front.tokenRequests.length = 0;
    await engine.dist.push(ref, {}, () => {});
    expect(front.tokenRequests.some((t) => t.user === USER && t.scopes.includes("repository:berth/bearer:pull,push"))).toBe(true);
    // Tokens are cached: a handful of token requests for the whole push.
    expect(front.tokenRequests.length).toBeLessThanOrEqual(3);

    const second = `${front.host}/berth/bearer-copy:1`;
    await engine.images.tag(ref, second);
    const p = progress();
    await engine.dist.push(second, {}, p.on);
    expect(p.lines().filter((l) => l.endsWith("Mounted from berth/bearer"))).toHaveLength(2);
    expect(front.tokenRequests.some((t) => t.scopes.includes("repository:berth/bearer:pull") && t.scopes.includes("repository:berth/bearer-copy:pull,push"))).toBe(true);

    // Anonymous pulls get pull-only tokens.
    const anonymous = await testEngine({ empty: true });
    expect((await anonymous.dist.pull(ref, {}, () => {})).id).toBe(image.id);
    expect(front.tokenRequests.at(-1)).toEqual({ scopes: ["repository:berth/bearer:pull"] });
    // ...and cannot push.
    const denied = await rejection(anonymous.dist.push(ref, {}, () => {}));
    expect(denied.kind).toBe("unauthorized");
    expect(denied.message).toBe("unauthorized: authentication required");
  });
});
