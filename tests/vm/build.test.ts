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
    expect(noImage.message).toMatch(/^Dockerfile:1: failed to resolve source metadata for docker\.io\/library\/alpine:3\.19: /);
    const remote = await engine.build({ context: ctx({ Dockerfile: "FROM busybox\nADD https://example.com/x.tar /\n" }) }, () => {}).catch((e) => e);
    expect(remote.message).toMatch(/^Dockerfile:2: ADD https:\/\/example\.com\/x\.tar: fetching from the network is not available/);
  });

  it("the seed's cache example: dependency files first keeps the install cached; COPY . . first does not", async () => {
    const app = { "package.json": '{"name":"app"}\n', "yarn.lock": "lock v1\n", "src/index.js": "console.log(1)\n" };
    const good = `FROM busybox\nWORKDIR /app\nCOPY package.json yarn.lock ./\nRUN echo installing && cat package.json > /installed\nCOPY . .\n`;
    const bad = `FROM busybox\nWORKDIR /app\nCOPY . .\nRUN echo installing && cat package.json > /installed\n`;
    await build({ context: ctx({ Dockerfile: good, ...app }) });
    const edited = await build({ context: ctx({ Dockerfile: good, ...app, "src/index.js": "console.log(2)\n" }) });
    expect(edited.steps.map((s) => s.status)).toEqual(["done", "cached", "cached", "done"]);
    expect(edited.steps[3].cacheMiss).toMatch(/files changed: src\/index\.js \(contents\)/);

    await build({ context: ctx({ Dockerfile: bad, ...app }) });
    const editedBad = await build({ context: ctx({ Dockerfile: bad, ...app, "src/index.js": "console.log(2)\n" }) });
    expect(editedBad.steps.map((s) => s.status)).toEqual(["done", "done", "done"]);
    expect(editedBad.logs).toContain("installing");

    // Changing a RUN's text reruns it and everything after it.
    const runChanged = await build({ context: ctx({ Dockerfile: good.replace("echo installing", "echo installing again"), ...app }) });
    expect(runChanged.steps.map((s) => s.status)).toEqual(["done", "cached", "done", "done"]);

    // Changing only a copied file's mode invalidates that COPY.
    const modeChanged = await build({ context: ctx({ Dockerfile: good, ...app }, { "package.json": 0o755 }) });
    expect(modeChanged.steps[1].status).toBe("done");
    expect(modeChanged.steps[1].cacheMiss).toMatch(/package\.json \(mode 644 -> 755\)/);
  });

  it("a deleted file is gone in a container of the image; history has one row per instruction", async () => {
    const df = "FROM busybox\nRUN rm /bin/vi\nENV A=1\nCMD [\"sh\"]\n";
    const { result } = await build({ context: ctx({ Dockerfile: df }), tags: ["novi"] });
    const { id } = await engine.containerCreate({ image: "novi", cmd: ["sh", "-c", "ls /bin/vi || echo gone"], network: "none" });
    await engine.containerStart(id);
    await engine.containerWait(id);
    const out: string[] = [];
    await engine.containerLogs(id, {}, (c) => out.push(new TextDecoder().decode(c.data)));
    expect(out.join("")).toContain("gone");
    const inspect = await engine.imageInspect(result.imageId);
    const base = await engine.imageInspect("busybox");
    expect(inspect.history.length - base.history.length).toBe(3);
    const rows = inspect.layers.slice(-3);
    expect(rows.map((r) => r.history.created_by)).toEqual(["RUN /bin/sh -c rm /bin/vi # buildkit", "ENV A=1", 'CMD ["sh"]']);
    expect(rows[0].size).toBeGreaterThan(0);
    expect(rows[1].digest).toBeUndefined();
  });

  it("a two-stage build into FROM scratch carries no layer of the first stage; images share base blobs", async () => {
    const df = `FROM busybox AS build\nRUN echo made > /made.txt\nFROM scratch\nCOPY --from=build /made.txt /made.txt\n`;
    const { result } = await build({ context: ctx({ Dockerfile: df }), tags: ["scratchy"] });
    const img = await engine.imageInspect(result.imageId);
    expect(img.rootfs.diff_ids).toHaveLength(1);
    const files = await layerFiles(result.imageId, 0);
    expect([...files.keys()]).toEqual(["made.txt"]);

    const before = (await engine.images.content.list()).length;
    const busyboxLayer = (await engine.imageInspect("busybox")).layers[0].digest!;
    await build({ context: ctx({ Dockerfile: "FROM busybox\nENV X=1\n" }), tags: ["share1"] });
    await build({ context: ctx({ Dockerfile: "FROM busybox\nENV X=2\n" }), tags: ["share2"] });
    const blobs = await engine.images.content.list();
    // Two new images add their configs and manifests only: the base layer is stored once.
    expect(blobs.length - before).toBe(4);
    expect(blobs.filter((b) => b.digest === busyboxLayer)).toHaveLength(1);
    const s1 = await engine.imageInspect("share1");
    expect(s1.layers[0].sharedBy).toBeGreaterThanOrEqual(3);
  });

  it("bad Dockerfiles give one clear error with a line and leave the store as it was", async () => {
    const cases: [string, RegExp][] = [
      ["FROM busybox\nFORM x\n", /^Dockerfile:2: unknown instruction: FORM/],
      ["FROM busybox\nCOPY onlyone\n", /^Dockerfile:2: COPY requires at least two arguments/],
      ['FROM busybox\nSHELL ["sh", \n', /^Dockerfile:2: /],
      ["FROM busybox\nCOPY --from=nostage /x /x\n", /^Dockerfile:2: .*nostage/],
      ["FROM busybox\nRUN echo about to fail && exit 1\n", /^Dockerfile:2: process .* did not complete successfully: exit code: 1/],
    ];
    for (const [df, re] of cases) {
      const blobs = (await engine.images.content.list()).map((b) => b.digest).sort();
      const refs = (await engine.images.refs.listRefs()).map((r) => `${r.name}=${r.target.digest}`).sort();
      const err = await engine.build({ context: ctx({ Dockerfile: df }), tags: ["broken"] }, () => {}).catch((e) => e);
      expect(err.message).toMatch(re);
      expect(err.details.line).toBe(2);
      expect((await engine.images.refs.listRefs()).map((r) => `${r.name}=${r.target.digest}`).sort()).toEqual(refs);
      // Only RUN layers of steps that succeeded may have been added (cache); nothing for these.
      expect((await engine.images.content.list()).map((b) => b.digest).sort()).toEqual(blobs);
    }
  });

  it("SOURCE_DATE_EPOCH makes the same inputs give the same image digest", async () => {
    const df = "FROM busybox\nCOPY greet.sh /greet.sh\nRUN echo made > /made && touch /made\nCMD [\"sh\"]\n";
    const opts = { context: ctx({ Dockerfile: df, "greet.sh": "echo hi\n" }), buildArgs: { SOURCE_DATE_EPOCH: "1700000000" } };
    const a = await build({ ...opts, noCache: true });
    const b = await build({ ...opts, noCache: true });
    expect(b.result.imageId).toBe(a.result.imageId);
    const plain = await build({ context: opts.context, noCache: true });
    expect(plain.result.imageId).not.toBe(a.result.imageId);
  });
});
