// The docker CLI on the real Engine (no guest needed) against an htpasswd
// docker-registry: login, push, pull, save, load, logout, and run of an
// image the store lacks.

import { afterAll, beforeAll, expect, it } from "vitest";
import { startRegistry, type TestRegistry } from "../../scripts/registry.mjs";
import { runDocker } from "../../src/cli/docker.ts";
import { directoryReader } from "../../src/engine/bundled.node.ts";
import { Engine } from "../../src/engine/engine.ts";
import { createMemoryStorage } from "../../src/storage/memory.ts";
import { makeIO } from "../unit/cli/harness.ts";
import { MemFs } from "../unit/cli/memfs.ts";

let registry: TestRegistry;
beforeAll(async () => {
  registry = await startRegistry({ auth: { username: "u", password: "p" } });
});
afterAll(async () => {
  await registry?.stop();
});

it("docker login, push, pull, save, load and logout on the engine", async () => {
  const engine = new Engine({ storage: createMemoryStorage(), startGuest: () => Promise.reject(new Error("no guest in this test")), bundled: directoryReader() });
  await engine.whenReady();
  const fs = new MemFs({ "/work/.keep": "" });
  const d = async (...argv: string[]) => {
    const h = makeIO({ input: ["p\n"] }, fs);
    const code = await runDocker(argv, h.io, engine);
    return { code, out: h.out(), err: h.err() };
  };
  const name = `${registry.host}/demo/busybox`;
  expect((await d("tag", "busybox", name)).code).toBe(0);

  const denied = await d("push", name);
  expect(denied.code).toBe(1);
  expect(denied.err).toMatch(/: no basic auth credentials\n$/);
  expect((await d("login", "-u", "u", "-p", "wrong", registry.host)).err).toContain(
    `Error response from daemon: Get "http://${registry.host}/v2/": unauthorized: authentication required\n`,
  );
  expect(await d("login", "-u", "u", "--password-stdin", registry.host)).toMatchObject({ code: 0, out: "Login Succeeded\n" });

  const push = await d("push", name);
  expect(push.code).toBe(0);
  expect(push.out).toMatch(new RegExp(`^Using default tag: latest\\nThe push refers to repository \\[${registry.host}/demo/busybox\\]\\n[0-9a-f]{12}: Preparing\\n[0-9a-f]{12}: Pushed\\nlatest: digest: sha256:[0-9a-f]{64} size: \\d+\\n$`));

  await d("rmi", name);
  const pull = await d("pull", name);
  expect(pull.code).toBe(0);
  expect(pull.out).toContain(`Status: Downloaded newer image for ${name}:latest\n${name}:latest\n`);
  expect((await d("pull", name)).out).toContain(`Status: Image is up to date for ${name}:latest\n`);

  expect((await d("save", "-o", "b.tar", name)).code).toBe(0);
  await d("rmi", name);
  expect(await d("load", "-i", "b.tar")).toMatchObject({ code: 0, out: `Loaded image: ${name}:latest\n` });

  expect((await d("pull", `${registry.host}/demo/none`)).err).toBe(
    `Error response from daemon: manifest for ${registry.host}/demo/none:latest not found: manifest unknown: manifest unknown\n`,
  );
  expect((await d("logout", registry.host)).out).toBe(`Removing login credentials for ${registry.host}\n`);
  const run = await d("run", "--rm", `${registry.host}/demo/other`, "true");
  expect(run.code).toBe(125);
  expect(run.err).toBe(
    `Unable to find image '${registry.host}/demo/other:latest' locally\n` +
      `docker: Error response from daemon: Get "http://${registry.host}/v2/demo/other/manifests/latest": no basic auth credentials.\n` +
      "See 'docker run --help'.\n",
  );
});
