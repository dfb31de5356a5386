// images, image inspect, rmi, tag, history, image prune, build, builder prune, cp.
import { describe, expect, it } from "vitest";
import type { BuildOptions } from "../../../src/core/engine-api.ts";
import { readTar, writeTar } from "../../../src/cli/tar.ts";
import { docker, FakeEngine, MemFs, T0 } from "./harness.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

describe("images", () => {
  it("lists one row per tag, newest first, with docker's sizes", async () => {
    const e = new FakeEngine();
    e.addImage("", { created: T0 - 60_000, size: 1234 }).repoTags = [];
    await docker(e, ["tag", "busybox", "me/box:1.0"]);
    const r = await docker(e, ["images"]);
    const bb = e.images[0]!.id.slice(7, 19);
    const al = e.images[1]!.id.slice(7, 19);
    const none = e.images[2]!.id.slice(7, 19);
    expect(r.out).toBe(
      [
        "REPOSITORY   TAG       IMAGE ID       CREATED              SIZE",
        `<none>       <none>    ${none}   About a minute ago   1.23kB`,
        `busybox      latest    ${bb}   3 hours ago          4.26MB`,
        `me/box       1.0       ${bb}   3 hours ago          4.26MB`,
        `alpine       3.20      ${al}   2 days ago           7.8MB`,
        "",
      ].join("\n"),
    );
  });

  it("-q, --no-trunc, --digests, --format and filters", async () => {
    const e = new FakeEngine();
    e.images[0]!.repoDigests = ["busybox@sha256:" + "d".repeat(64)];
    expect((await docker(e, ["images", "-q"])).out).toBe(`${e.images[0]!.id.slice(7, 19)}\n${e.images[1]!.id.slice(7, 19)}\n`);
    expect((await docker(e, ["images", "-q", "--no-trunc", "alpine"])).out).toBe(`${e.images[1]!.id}\n`);
    expect((await docker(e, ["images", "--digests", "--format", "{{.Repository}} {{.Digest}}"])).out).toBe(`busybox sha256:${"d".repeat(64)}\nalpine <none>\n`);
    expect((await docker(e, ["images", "--format", "{{.Repository}}:{{.Tag}}"])).out).toBe("busybox:latest\nalpine:3.20\n");
    expect((await docker(e, ["images", "--format", "table {{.Repository}}\\t{{.Size}}"])).out).toBe("REPOSITORY   SIZE\nbusybox      4.26MB\nalpine       7.8MB\n");
    expect((await docker(e, ["images", "--filter", "reference=alp*", "--format", "{{.Repository}}"])).out).toBe("alpine\n");
    expect((await docker(e, ["images", "--format", "{{.Tag}}", "alpine:3.*"])).out).toBe("3.20\n");
    expect((await docker(e, ["images", "-f", "before=busybox", "--format", "{{.Repository}}"])).out).toBe("alpine\n");
    expect((await docker(e, ["images", "-f", "since=alpine:3.20", "--format", "{{.Repository}}"])).out).toBe("busybox\n");
    await docker(e, ["images", "-a", "-f", "dangling=true"]);
    expect(e.callsTo("imageList").at(-1)![0]).toEqual({ all: true, danglingOnly: true });
    expect((await docker(e, ["images", "-f", "bogus=1"])).code).toBe(125);
    expect(JSON.parse((await docker(e, ["images", "--format", "json", "busybox"])).out)).toMatchObject({ Repository: "busybox", Tag: "latest", Size: "4.26MB", Containers: "0" });
  });

  it("image inspect, rmi, tag", async () => {
    const e = new FakeEngine();
    const inspect = JSON.parse((await docker(e, ["image", "inspect", "busybox"])).out);
    expect(inspect[0]).toMatchObject({ Id: e.images[0]!.id, RepoTags: ["busybox:latest"], Os: "linux", Architecture: "386", Config: { Cmd: ["sh"] }, RootFS: { Type: "layers" } });
    expect((await docker(e, ["image", "inspect", "-f", "{{.Os}}/{{.Architecture}} {{index .RepoTags 0}}", "busybox"])).out).toBe("linux/386 busybox:latest\n");
    expect(await docker(e, ["tag", "busybox", "Bad"])).toMatchObject({
      code: 1,
      err: 'Error parsing reference: "Bad" is not a valid repository/tag: invalid reference format: repository name (library/Bad) must be lowercase\n',
    });
    expect(await docker(e, ["tag", "busybox", "mine:v1"])).toMatchObject({ code: 0, out: "" });
    expect((await docker(e, ["rmi", "mine:v1"])).out).toBe("Untagged: mine:v1\n");
    const id = e.images[0]!.id;
    expect((await docker(e, ["image", "rm", "busybox"])).out).toBe(`Untagged: busybox:latest\nDeleted: ${id}\n`);
    expect(await docker(e, ["rmi", "nope", "alpine:3.20"])).toMatchObject({ code: 1, err: "Error response from daemon: No such image: nope:latest\n" });
    const forced = new FakeEngine();
    await docker(forced, ["run", "-d", "busybox", "sleep", "1"]);
    expect((await docker(forced, ["rmi", "busybox"])).err).toMatch(/^Error response from daemon: conflict: unable to remove repository reference "busybox" \(must force\)/);
    expect((await docker(forced, ["rmi", "-f", "busybox"])).code).toBe(0);
    expect(forced.callsTo("imageRemove").at(-1)).toEqual(["busybox", { force: true }]);
  });

  it("history, with -H=false, -q and --no-trunc", async () => {
    const e = new FakeEngine();
    const long = "RUN /bin/sh -c apk add --no-cache curl ca-certificates\tgit # buildkit";
    e.images[0]!.layers[1]!.history = { created: new Date(T0 - 60_000).toISOString(), created_by: long, comment: "buildkit.dockerfile.v0" };
    const id = e.images[0]!.id.slice(7, 19);
    const r = await docker(e, ["history", "busybox"]);
    expect(r.out).toBe(
      [
        "IMAGE          CREATED              CREATED BY                                      SIZE      COMMENT",
        `${id}   About a minute ago   RUN /bin/sh -c apk add --no-cache curl ca-ce…   0B        buildkit.dockerfile.v0`,
        "<missing>      3 hours ago          ADD file:abc in /                               4.26MB    ",
        "",
      ].join("\n"),
    );
    const raw = await docker(e, ["history", "-H=false", "--no-trunc", "--format", "{{.CreatedSince}}|{{.CreatedBy}}|{{.Size}}", "busybox"]);
    expect(raw.out.split("\n")[0]).toBe(`2026-11-27T23:59:00Z|RUN /bin/sh -c apk add --no-cache curl ca-certificates git # buildkit|0`);
    expect((await docker(e, ["history", "-q", "busybox"])).out).toBe(`${id}\n`);
  });

  it("image prune asks, -a changes the warning", async () => {
    const e = new FakeEngine();
    e.addImage("", { created: T0, size: 2000 }).repoTags = [];
    const r = await docker(e, ["image", "prune"], { input: ["y\n"] });
    expect(r.out).toMatch(/^WARNING! This will remove all dangling images\.\nAre you sure you want to continue\? \[y\/N\] Deleted Images:\ndeleted: sha256:[a-f0-9]{64}\n\nTotal reclaimed space: 2kB\n$/);
    const a = await docker(e, ["image", "prune", "-a"], { input: [] });
    expect(a.out).toBe("WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] \n");
    expect(e.callsTo("imagePrune")).toHaveLength(1);
    await docker(e, ["image", "prune", "-af"]);
    expect(e.callsTo("imagePrune").at(-1)![0]).toEqual({ all: true });
  });
});

describe("build", () => {
  const files = {
    "/work/app/Dockerfile": "FROM busybox\nCOPY app.sh /\nRUN echo built\n",
    "/work/app/app.sh": "echo hi",
    "/work/app/secret.key": "k",
    "/work/app/.dockerignore": "*.key\n",
    "/work/Dockerfile.dev": "FROM alpine:3.20\nRUN echo dev\n",
    "/work/app/Dockerfile.fail": "FROM busybox\nRUN echo before\nRUN exit 3\n",
  };
  const built = (e: FakeEngine) => e.callsTo("build").at(-1)![0] as BuildOptions;

  it("sends the context, tags, args, labels and options, and prints BuildKit-style progress", async () => {
    const e = new FakeEngine();
    const r = await docker(
      e,
      ["build", "-t", "demo", "-t", "demo:1.0", "--build-arg", "V=1", "--build-arg", "HOME", "--build-arg", "UNSET", "--label", "a=b", "--target", "final", "--no-cache", "--platform", "linux/386", "--progress=plain", "app"],
      { files, cwd: "/work", env: { HOME: "/root" } },
    );
    expect(r.code).toBe(0);
    const opts = built(e);
    expect(opts.context.map((c) => c.path).sort()).toEqual([".dockerignore", "Dockerfile", "Dockerfile.fail", "app.sh"]);
    expect(opts).toMatchObject({ tags: ["demo", "demo:1.0"], buildArgs: { V: "1", HOME: "/root" }, labels: { a: "b" }, target: "final", noCache: true, platform: "linux/386" });
    expect(opts.dockerfile).toBeUndefined();
    expect(r.out).toBe("");
    const contextBytes = opts.context.reduce((n, c) => n + c.data.length, 0);
    expect(contextBytes).toBe(files["/work/app/Dockerfile"].length + files["/work/app/app.sh"].length + files["/work/app/.dockerignore"].length + files["/work/app/Dockerfile.fail"].length);
    expect(r.err).toContain(`#1 [internal] load build definition from Dockerfile\n#1 transferring dockerfile: ${files["/work/app/Dockerfile"].length}B done\n#1 DONE 0.0s\n`);
    expect(r.err).toContain(`#2 [internal] load build context\n#2 transferring context: ${contextBytes}B done\n`);
    expect(r.err).toContain("#3 [1/3] FROM docker.io/library/busybox:latest\n#3 CACHED\n");
    expect(r.err).toContain("#5 [3/3] RUN echo built\n#5 0.000 built\n#5 DONE 0.3s\n");
    expect(r.err).toMatch(/#6 exporting to image\n#6 writing image sha256:[a-f0-9]{64} done\n#6 naming to docker.io\/library\/demo:latest done\n#6 naming to docker.io\/library\/demo:1.0 done\n#6 DONE 0.0s\n/);
  });

  it("takes SOURCE_DATE_EPOCH from the environment as a build arg, as buildx does, unless --build-arg sets it", async () => {
    const e = new FakeEngine();
    await docker(e, ["build", "-q", "app"], { files, cwd: "/work", env: { SOURCE_DATE_EPOCH: "1700000000" } });
    expect(built(e).buildArgs).toEqual({ SOURCE_DATE_EPOCH: "1700000000" });
    await docker(e, ["build", "-q", "--build-arg", "SOURCE_DATE_EPOCH=5", "app"], { files, cwd: "/work", env: { SOURCE_DATE_EPOCH: "1700000000" } });
    expect(built(e).buildArgs).toEqual({ SOURCE_DATE_EPOCH: "5" });
    await docker(e, ["build", "-q", "app"], { files, cwd: "/work", env: {} });
    expect(built(e).buildArgs).toBeUndefined();
  });

  it("-q prints only the image id", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["build", "-q", "app"], { files, cwd: "/work" });
    expect(r).toMatchObject({ code: 0, err: "" });
    expect(r.out).toMatch(/^sha256:[a-f0-9]{64}\n$/);
  });

  it("finds -f relative to the current directory, inside or outside the context", async () => {
    const e = new FakeEngine();
    await docker(e, ["build", "-q", "-f", "app/Dockerfile.fail", "app"], { files, cwd: "/work" });
    expect(built(e).dockerfile).toBe("Dockerfile.fail");
    await docker(e, ["build", "-q", "-f", "Dockerfile.dev", "app"], { files, cwd: "/work" });
    expect(built(e).dockerfile).toBe("Dockerfile.dev");
    expect(dec.decode(built(e).context.find((c) => c.path === "Dockerfile.dev")!.data)).toBe(files["/work/Dockerfile.dev"]);
    const missing = await docker(e, ["build", "-f", "nope", "app"], { files, cwd: "/work" });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("unable to prepare context");
  });

  it("reads a Dockerfile or a tar context from stdin", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["build", "-q", "-"], { input: ["FROM busybox\n"] });
    expect(r.code).toBe(0);
    expect(built(e).context).toEqual([{ path: "Dockerfile", data: enc.encode("FROM busybox\n"), mode: 0o644 }]);
    const tar = writeTar([
      { path: "Dockerfile", type: "file", mode: 0o644, size: 13, mtime: 0, data: enc.encode("FROM busybox\n") },
      { path: "x.txt", type: "file", mode: 0o600, size: 1, mtime: 0, data: enc.encode("x") },
    ]);
    await docker(e, ["build", "-q", "-"], { input: [tar] });
    expect(built(e).context.map((c) => c.path)).toEqual(["Dockerfile", "x.txt"]);
    const df = await docker(e, ["build", "-q", "-f", "-", "app"], { files, cwd: "/work", input: ["FROM alpine:3.20\n"] });
    expect(df.code).toBe(0);
    expect(built(e).dockerfile).toBe("Dockerfile.stdin");
  });

  it("takes the context from io.loadContext in the page, applying .dockerignore", async () => {
    const e = new FakeEngine();
    const asked: string[] = [];
    const r = await docker(e, ["build", "-q", "."], {
      cwd: "/workspace",
      loadContext: async (p) => {
        asked.push(p);
        return [
          { path: "Dockerfile", data: enc.encode("FROM busybox\n") },
          { path: ".dockerignore", data: enc.encode("tmp\n") },
          { path: "tmp/junk", data: enc.encode("x") },
        ];
      },
    });
    expect(r.code).toBe(0);
    expect(asked).toEqual(["/workspace"]);
    expect(built(e).context.map((c) => c.path)).toEqual(["Dockerfile", ".dockerignore"]);
  });

  it("reports a failing step BuildKit's way and exits 1", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["build", "--progress", "plain", "-f", "app/Dockerfile.fail", "app"], { files, cwd: "/work" });
    expect(r.code).toBe(1);
    expect(r.err).toContain('ERROR: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3\n');
    expect(r.err).toContain(" > [3/3] RUN exit 3:\n------\nDockerfile.fail:3\n--------------------\n   1 |     FROM busybox\n   2 |     RUN echo before\n   3 | >>> RUN exit 3\n--------------------\n");
    expect(r.err.endsWith('ERROR: failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3\n')).toBe(true);
    expect(r.err).not.toContain("naming to");
  });

  it("reports an engine error with a file and line", async () => {
    const e = new FakeEngine();
    const { BerthError } = await import("../../../src/core/errors.ts");
    e.buildScript = async () => {
      throw new BerthError("invalid-argument", "dockerfile parse error on line 2: unknown instruction: FRM", { file: "Dockerfile", line: 2 });
    };
    const r = await docker(e, ["build", "--progress=plain", "-"], { input: ["FROM busybox\nFRM x\n"] });
    expect(r.code).toBe(1);
    expect(r.err).toContain("Dockerfile:2\n--------------------\n   1 |     FROM busybox\n   2 | >>> FRM x\n--------------------\nERROR: failed to solve: dockerfile parse error on line 2: unknown instruction: FRM\n");
  });

  it("checks tags, progress and the context before building", async () => {
    const e = new FakeEngine();
    expect(await docker(e, ["build", "-t", "Bad", "."])).toMatchObject({
      code: 125,
      err: `invalid argument "Bad" for "-t, --tag" flag: invalid reference format: repository name (library/Bad) must be lowercase\nSee 'docker build --help'.\n`,
    });
    expect((await docker(e, ["build", "--progress", "fancy", "app"], { files, cwd: "/work" })).code).toBe(125);
    expect((await docker(e, ["build", "nope"], { cwd: "/work" })).err).toBe('unable to prepare context: path "/work/nope" not found\n');
    expect((await docker(e, ["build", "https://github.com/x/y.git"])).err).toContain("remote build contexts");
    expect((await docker(e, ["build", "empty"], { cwd: "/work", files: { "/work/empty/readme": "x" } })).err).toBe(
      "failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory\n",
    );
    expect(e.callsTo("build")).toEqual([]);
  });

  it("builder prune", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["builder", "prune"], { input: ["y\n"] });
    expect(r.out).toBe(
      "WARNING! This will remove all dangling build cache. Are you sure you want to continue? [y/N] Deleted build cache objects:\nabc123\ndef456\n0123ab\n\nTotal reclaimed space: 2MB\n",
    );
    expect((await docker(e, ["builder", "prune", "-af"])).out).toBe("Total reclaimed space: 0B\n");
  });
});

describe("cp", () => {
  async function withContainer() {
    const e = new FakeEngine();
    await docker(e, ["run", "-d", "--name", "app", "busybox", "sleep", "100"]);
    e.putFile("app", "/tmp/hello.txt", "hello\n");
    e.putFile("app", "/etc/app.conf", "x=1\n");
    return e;
  }

  it("copies a file out, to a new name or into a directory", async () => {
    const e = await withContainer();
    const fs = new MemFs({ "/work/keep": "" });
    expect(await docker(e, ["cp", "app:/tmp/hello.txt", "copy.txt"], { cwd: "/work" }, fs)).toMatchObject({ code: 0, out: "", err: "" });
    expect(fs.text("/work/copy.txt")).toBe("hello\n");
    await docker(e, ["cp", "app:/tmp/hello.txt", "/work"], { cwd: "/work" }, fs);
    expect(fs.text("/work/hello.txt")).toBe("hello\n");
    const tty = await docker(e, ["cp", "app:/etc", "."], { cwd: "/work", tty: true }, fs);
    expect(tty.err).toMatch(/^Successfully copied \d+(\.\d+)?[kM]?B to \.\n$/);
    expect(fs.text("/work/etc/app.conf")).toBe("x=1\n");
    expect(fs.files.get("/work/etc")?.dir).toBe(true);
  });

  it("copies a file in, keeping or changing its name", async () => {
    const e = await withContainer();
    const fs = new MemFs({ "/work/site/index.html": "<h1>hi</h1>", "/work/site/css/a.css": "a{}", "/work/note.txt": "note" });
    expect((await docker(e, ["cp", "note.txt", "app:/tmp"], { cwd: "/work" }, fs)).code).toBe(0);
    expect(e.callsTo("containerArchivePut").at(-1)!.slice(0, 2)).toEqual(["app", "/tmp"]);
    expect(readTar(e.callsTo("containerArchivePut").at(-1)![2] as Uint8Array).map((x) => x.path)).toEqual(["note.txt"]);
    await docker(e, ["cp", "note.txt", "app:/tmp/renamed.txt"], { cwd: "/work" }, fs);
    expect(e.callsTo("containerArchivePut").at(-1)!.slice(0, 2)).toEqual(["app", "/tmp"]);
    expect(readTar(e.callsTo("containerArchivePut").at(-1)![2] as Uint8Array).map((x) => x.path)).toEqual(["renamed.txt"]);
    await docker(e, ["cp", "site", "app:/srv"], { cwd: "/work" }, fs);
    expect(e.callsTo("containerArchivePut").at(-1)!.slice(0, 2)).toEqual(["app", "/"]);
    expect(readTar(e.callsTo("containerArchivePut").at(-1)![2] as Uint8Array).map((x) => x.path)).toEqual(["srv", "srv/css", "srv/css/a.css", "srv/index.html"]);
    await docker(e, ["cp", "site/.", "app:/tmp"], { cwd: "/work" }, fs);
    expect(readTar(e.callsTo("containerArchivePut").at(-1)![2] as Uint8Array).map((x) => x.path)).toEqual(["css", "css/a.css", "index.html"]);
  });

  it("streams tars with -", async () => {
    const e = await withContainer();
    const out = await docker(e, ["cp", "app:/tmp/hello.txt", "-"]);
    expect(readTar(out.outBytes).map((x) => [x.path, dec.decode(x.data)])).toEqual([["hello.txt", "hello\n"]]);
    const tar = writeTar([{ path: "in.txt", type: "file", mode: 0o644, size: 2, mtime: 0, data: enc.encode("in") }]);
    expect((await docker(e, ["cp", "-", "app:/tmp"], { input: [tar] })).code).toBe(0);
    expect(e.callsTo("containerArchivePut").at(-1)!.slice(0, 2)).toEqual(["app", "/tmp"]);
  });

  it("says what is wrong", async () => {
    const e = await withContainer();
    expect((await docker(e, ["cp", "a", "b"])).err).toBe("must specify at least one container source\n");
    expect((await docker(e, ["cp", "app:/a", "app:/b"])).err).toBe("copying between containers is not supported\n");
    expect((await docker(e, ["cp", "app:/nope", "x"], { cwd: "/work" })).err).toBe("Error response from daemon: Could not find the file /nope in container app\n");
    expect((await docker(e, ["cp", "missing.txt", "app:/tmp"], { cwd: "/work" })).err).toBe("lstat /work/missing.txt: no such file or directory\n");
    expect((await docker(e, ["cp", "app:/tmp/hello.txt", "nodir/x"], { cwd: "/work" })).err).toBe('destination directory "nodir" does not exist\n');
  });
});
