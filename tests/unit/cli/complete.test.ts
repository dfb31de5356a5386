import { describe, expect, it } from "vitest";
import { complete } from "../../../src/cli/complete.ts";
import { withCallbackProxy } from "../../../src/cli/proxy.ts";
import { docker, FakeEngine } from "./harness.ts";

async function engineWithThings() {
  const e = new FakeEngine();
  await docker(e, ["run", "-d", "--name", "web", "busybox", "sleep", "9"]);
  await docker(e, ["run", "-d", "--name", "worker", "busybox", "sleep", "9"]);
  await docker(e, ["run", "--name", "job", "busybox", "true"]);
  await docker(e, ["volume", "create", "data"]);
  return e;
}

const at = async (e: FakeEngine, line: string) => (await complete(line, line.length, e)).candidates;

describe("complete", () => {
  it("completes command and sub-command names", async () => {
    const e = new FakeEngine();
    expect(await at(e, "docker i")).toEqual(["image", "images", "import", "info", "inspect"]);
    expect(await at(e, "docker ")).toContain("run");
    expect(await at(e, "doc")).toEqual(["docker"]);
    expect(await at(e, "docker container l")).toEqual(["list", "logs", "ls"]);
    expect(await at(e, "docker volume ")).toEqual(["create", "inspect", "list", "ls", "prune", "remove", "rm"]);
    expect(await at(e, "docker --")).toEqual(["--debug", "--version"]);
    expect(await at(e, "docker -D r")).toEqual(["rename", "restart", "rm", "rmi", "run"]);
  });

  it("completes flags, with shorthands for a lone dash", async () => {
    const e = new FakeEngine();
    expect(await at(e, "docker run --net")).toEqual(["--network", "--network-alias"]);
    expect(await at(e, "docker ps -")).toEqual(expect.arrayContaining(["--all", "-a", "-q"]));
    expect(await at(e, "docker run --")).not.toContain("--net");
  });

  it("completes names from the engine by argument kind", async () => {
    const e = await engineWithThings();
    expect(await at(e, "docker stop w")).toEqual(["web", "worker"]);
    expect(await at(e, "docker start ")).toEqual(["job"]);
    expect(await at(e, "docker rm ")).toEqual(["job", "web", "worker"]);
    expect(await at(e, "docker exec -it w")).toEqual(["web", "worker"]);
    expect(await at(e, "docker run -d bu")).toEqual(["busybox:latest"]);
    expect(await at(e, "docker run busybox ")).toEqual([]);
    expect(await at(e, "docker volume rm ")).toEqual(["data"]);
    expect(await at(e, "docker network inspect b")).toEqual(["bridge"]);
  });

  it("completes flag values", async () => {
    const e = await engineWithThings();
    expect(await at(e, "docker run --network ")).toEqual(["bridge", "host", "none"]);
    expect(await at(e, "docker run --restart o")).toEqual(["on-failure"]);
    expect(await at(e, "docker run -v d")).toEqual(["data"]);
    expect(await at(e, "docker build --progress=p")).toEqual(["plain"]);
    const r = await complete("docker run --network=h", 22, e);
    expect(r).toEqual({ start: 21, end: 22, candidates: ["host"] });
  });

  it("reports the span to replace, also in the middle of a line", async () => {
    const e = await engineWithThings();
    const line = "docker stop we && true";
    expect(await complete(line, 14, e)).toEqual({ start: 12, end: 14, candidates: ["web"] });
  });

  it("returns nothing when the engine fails", async () => {
    const e = new FakeEngine();
    e.containerList = async () => {
      throw new Error("down");
    };
    expect(await at(e, "docker stop ")).toEqual([]);
  });
});

describe("withCallbackProxy", () => {
  it("wraps callbacks and callback objects, nothing else", async () => {
    const e = new FakeEngine();
    const wrapped: unknown[] = [];
    const proxied = withCallbackProxy(e, (v) => {
      wrapped.push(v);
      return v;
    });
    await docker(e, ["run", "-d", "--name", "c", "busybox", "sleep", "9"]);
    const handlers = { onOutput: () => {}, onExit: () => {} };
    await proxied.containerAttach("c", { stdin: true }, handlers);
    const cb = () => {};
    await proxied.subscribe(cb, { type: ["container"] });
    await proxied.containerList({ all: true });
    expect(wrapped).toEqual([handlers, cb]);
  });
});
