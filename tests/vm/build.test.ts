// The builder on the real guest: RUN in the guest over overlays of the
// parent layers, COPY from the context, the cache, multi-stage builds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuildEvent, BuildOptions } from "../../src/core/engine-api.ts";
import { gunzip } from "../../src/core/compress.ts";
import { readTar } from "../../src/core/tar.ts";
import { directoryReader } from "../../src/engine/bundled.node.ts";
import { Engine } from "../../src/engine/engine.ts";
import { createMemoryStorage } from "../../src/storage/memory.ts";
import { startNodeGuest } from "../../src/vm/node.ts";

let engine: Engine;

beforeAll(async () => {
  engine = new Engine({ storage: createMemoryStorage(), startGuest: () => startNodeGuest(), bundled: directoryReader() });
  await engine.whenReady();
});

afterAll(async () => {
  await engine?.shutdown();
});

const enc = new TextEncoder();
function ctx(files: Record<string, string>, mode?: Record<string, number>): BuildOptions["context"] {
  return Object.entries(files).map(([path, text]) => ({ path, data: enc.encode(text), mode: mode?.[path], mtime: 1_700_000_000_000 }));
}

async function build(opts: BuildOptions) {
  const events: BuildEvent[] = [];
  const result = await engine.build(opts, (e) => events.push(e));
  const steps = events.filter((e): e is Extract<BuildEvent, { type: "step" }> => e.type === "step");
  const final = new Map<string, (typeof steps)[number]>();
  for (const s of steps) final.set(s.id, s);
  const logs = events.filter((e): e is Extract<BuildEvent, { type: "log" }> => e.type === "log").map((e) => e.data).join("");
  return { result, events, steps: [...final.values()], logs };
}

async function layerFiles(ref: string, index: number): Promise<Map<string, { type: string; data: string }>> {
  const image = await engine.images.resolve(ref);
  const blob = await engine.images.content.get(image.manifest.layers[index].digest);
  const out = new Map<string, { type: string; data: string }>();
  for (const e of readTar(await gunzip(blob))) out.set(e.path, { type: e.type, data: new TextDecoder().decode(e.data) });
  return out;
}

describe("docker build on the guest", () => {
  const dockerfile = `FROM busybox
ENV GREETING=hello
WORKDIR /app
COPY greet.sh ./
RUN chmod +x greet.sh && ./greet.sh > /app/out.txt && rm /bin/vi
CMD ["./greet.sh"]
`;
  const files = { Dockerfile: dockerfile, "greet.sh": '#!/bin/sh\necho "$GREETING from $(hostname)"\n' };

  it("builds layers from COPY and RUN, with whiteouts for deletions", async () => {
    const { result, steps, logs } = await build({ context: ctx(files), tags: ["greeter:1"] });
    expect(logs).toBe("");
    expect(steps.map((s) => s.status)).toEqual(["done", "done", "done"]);
    expect(steps.map((s) => s.name)).toEqual(["[1/3] FROM docker.io/library/busybox:latest", "[2/3] COPY greet.sh ./", "[3/3] RUN chmod +x greet.sh && ./greet.sh > /app/out.txt && rm /bin/vi"]);

    const image = await engine.imageInspect("greeter:1");
    expect(image.id).toBe(result.imageId);
    expect(image.config?.Cmd).toEqual(["./greet.sh"]);
    expect(image.config?.WorkingDir).toBe("/app");
    expect(image.config?.Env).toContain("GREETING=hello");
    expect(image.rootfs.diff_ids).toHaveLength(3);
    // Metadata steps are empty-layer history entries.
    expect(image.history.filter((h) => h.empty_layer).map((h) => h.created_by)).toEqual(
      expect.arrayContaining(["ENV GREETING=hello", "WORKDIR /app", 'CMD ["./greet.sh"]']),
    );

    const copyLayer = await layerFiles("greeter:1", 1);
    expect(copyLayer.get("app/greet.sh")?.data).toContain("GREETING");
    const runLayer = await layerFiles("greeter:1", 2);
    expect(runLayer.get("app/out.txt")?.data).toBe("hello from buildkitsandbox\n");
    expect(runLayer.has("bin/.wh.vi")).toBe(true);
    expect(runLayer.get("app/greet.sh")?.type).toBe("file"); // chmod copied it up
  });

  it("reuses the cache, and says which file changed when it cannot", async () => {
    const again = await build({ context: ctx(files), tags: ["greeter:1"] });
    expect(again.steps.map((s) => s.status)).toEqual(["done", "cached", "cached"]);

    const changed = await build({ context: ctx({ ...files, "greet.sh": '#!/bin/sh\necho "$GREETING, changed"\n' }), tags: ["greeter:2"] });
    expect(changed.steps.map((s) => s.status)).toEqual(["done", "done", "done"]);
    expect(changed.steps[1].cacheMiss).toMatch(/files changed: greet\.sh \(contents\)/);
    expect(changed.steps[2].cacheMiss).toMatch(/earlier step changed/);

    const noCache = await build({ context: ctx(files), noCache: true });
    expect(noCache.steps.slice(1).map((s) => s.status)).toEqual(["done", "done"]);
  });

  it("a build arg change reruns the RUN that sees it", async () => {
    const df = "FROM busybox\nARG NAME=world\nRUN echo hi $NAME > /name\n";
    const first = await build({ context: ctx({ Dockerfile: df }), buildArgs: { NAME: "a" } });
    expect(first.steps[1].status).toBe("done");
    const same = await build({ context: ctx({ Dockerfile: df }), buildArgs: { NAME: "a" } });
    expect(same.steps[1].status).toBe("cached");
    const other = await build({ context: ctx({ Dockerfile: df }), buildArgs: { NAME: "b" } });
    expect(other.steps[1].status).toBe("done");
    expect(other.steps[1].cacheMiss).toBe("build args or environment changed: NAME=b");
    const edited = await build({ context: ctx({ Dockerfile: df.replace("echo hi", "echo hello") }), buildArgs: { NAME: "b" } });
    expect(edited.steps[1].cacheMiss).toMatch(/^instruction changed: was `RUN echo hi \$NAME > \/name`/);
  });

  it("builds only the stages the target needs, and copies between stages", async () => {
    const df = `FROM busybox AS build
RUN mkdir -p /out && echo built > /out/artifact
FROM busybox AS unused
RUN exit 1
FROM busybox
COPY --from=build /out/artifact /artifact
`;
    const { steps, result } = await build({ context: ctx({ Dockerfile: df }), tags: ["multi"] });
    expect(steps.map((s) => s.name)).not.toContain(expect.stringContaining("exit 1"));
    expect(steps.map((s) => s.name)).toContain("[build 2/2] RUN mkdir -p /out && echo built > /out/artifact");
    const files = await layerFiles(result.imageId, 1);
    expect(files.get("artifact")?.data).toBe("built\n");

    const target = await build({ context: ctx({ Dockerfile: df }), target: "build", tags: ["multi:build"] });
    expect(target.steps.map((s) => s.name)).toEqual(["[build 1/2] FROM docker.io/library/busybox:latest", "[build 2/2] RUN mkdir -p /out && echo built > /out/artifact"]);
  });

  it("reports a failing RUN with its output, exit code and line", async () => {
    const df = "FROM busybox\nRUN echo about to fail && echo oops >&2 && exit 3\n";
    const events: BuildEvent[] = [];
    const err = await engine.build({ context: ctx({ Dockerfile: df }) }, (e) => events.push(e)).catch((e) => e);
    expect(err.message).toBe('Dockerfile:2: process "/bin/sh -c echo about to fail && echo oops >&2 && exit 3" did not complete successfully: exit code: 3');
    expect(err.details).toMatchObject({ line: 2, exitCode: 3 });
    const logs = events.filter((e) => e.type === "log").map((e) => (e as { data: string }).data).join("");
    expect(logs).toContain("about to fail");
    expect(logs).toContain("oops");
    expect(events.some((e) => e.type === "step" && e.status === "failed")).toBe(true);
  });

  it("gives clear errors for a missing file, a missing image and a remote ADD", async () => {
    const missing = await engine.build({ context: ctx({ Dockerfile: "FROM busybox\nCOPY nope.txt /\n" }) }, () => {}).catch((e) => e);
    expect(missing.message).toMatch(/^Dockerfile:2: .*"\/nope\.txt": not found/);
    const noImage = await engine.build({ context: ctx({ Dockerfile: "FROM alpine:3.19\n" }) }, () => {}).catch((e) => e);
    expect(noImage.message).toMatch(/^Dockerfile:1: failed to resolve source metadata for alpine:3\.19/);
    const remote = await engine.build({ context: ctx({ Dockerfile: "FROM busybox\nADD https://example.com/x.tar /\n" }) }, () => {}).catch((e) => e);
    expect(remote.message).toMatch(/^Dockerfile:2: ADD https:\/\/example\.com\/x\.tar: fetching from the network is not available/);
  });
});
