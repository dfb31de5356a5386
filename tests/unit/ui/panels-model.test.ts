import { describe, expect, it } from "vitest";
import { BuildStore, applyBuildEvent, errorLocation, newRun } from "../../../src/ui/build-state.ts";
import { humanSize, instructionText, duration, timeAgo } from "../../../src/ui/format.ts";
import { buildFsTree, modeString } from "../../../src/ui/fs-tree.ts";

describe("build rows from BuildEvents", () => {
  it("lays out the plan, then follows each step: running, done with its cache-miss reason, cached, output", () => {
    let run = newRun(1, { tags: ["app:latest"] }, "button", 0);
    run = applyBuildEvent(run, {
      type: "plan",
      steps: [
        { id: "stage-0:0", name: "[1/3] FROM busybox", stage: "stage-0", line: 1 },
        { id: "stage-0:1", name: "[2/3] COPY greet.sh ./", stage: "stage-0", line: 3 },
        { id: "stage-0:2", name: "[3/3] RUN sh greet.sh", stage: "stage-0", line: 4 },
      ],
    });
    expect(run.rows.map((r) => r.status)).toEqual(["waiting", "waiting", "waiting"]);
    run = applyBuildEvent(run, { type: "step", id: "stage-0:0", name: "[1/3] FROM docker.io/library/busybox:latest", status: "done", durationMs: 3 });
    run = applyBuildEvent(run, { type: "step", id: "stage-0:1", name: "[2/3] COPY greet.sh ./", status: "running", cacheMiss: "files changed: greet.sh (contents)" });
    run = applyBuildEvent(run, { type: "step", id: "stage-0:1", name: "[2/3] COPY greet.sh ./", status: "done", durationMs: 20 });
    run = applyBuildEvent(run, { type: "step", id: "stage-0:2", name: "[3/3] RUN sh greet.sh", status: "running" });
    run = applyBuildEvent(run, { type: "log", id: "stage-0:2", stream: "stdout", data: "hello\n" });
    run = applyBuildEvent(run, { type: "step", id: "stage-0:2", name: "[3/3] RUN sh greet.sh", status: "cached" });
    run = applyBuildEvent(run, { type: "done", imageId: "sha256:abc", tags: ["app:latest"], durationMs: 50 });
    expect(run.state).toBe("done");
    expect(run.rows[0]).toMatchObject({ name: "[1/3] FROM docker.io/library/busybox:latest", status: "done", durationMs: 3 });
    expect(run.rows[1]).toMatchObject({ status: "done", cacheMiss: "files changed: greet.sh (contents)", durationMs: 20 });
    expect(run.rows[2]).toMatchObject({ status: "cached", output: "hello\n", line: 4 });
  });

  it("marks a failed build, its running steps, and where the error points", () => {
    let run = newRun(1, { dockerfile: "Dockerfile.dev" }, "terminal", 0);
    run = applyBuildEvent(run, { type: "plan", steps: [{ id: "s:1", name: "[2/2] RUN false", stage: "s", line: 7 }] });
    run = applyBuildEvent(run, { type: "step", id: "s:1", name: "[2/2] RUN false", status: "running" });
    const failed = applyBuildEvent(run, { type: "error", message: "exit code 1", exitCode: 1 });
    expect(failed.state).toBe("failed");
    expect(failed.rows[0]!.status).toBe("failed");
    expect(errorLocation(failed)).toEqual({ file: "Dockerfile.dev", line: 7 });
    const located = applyBuildEvent(run, { type: "error", message: "unknown instruction", file: "Dockerfile.dev", line: 3 });
    expect(errorLocation(located)).toEqual({ file: "Dockerfile.dev", line: 3 });
  });

  it("keeps the newest builds first and tells its listeners", () => {
    const store = new BuildStore();
    let calls = 0;
    store.subscribe(() => calls++);
    const a = store.begin({ tags: ["a"] }, "button");
    store.begin({ tags: ["b"] }, "terminal");
    a({ type: "done", imageId: "sha256:1", tags: ["a:latest"], durationMs: 1 });
    expect(store.snapshot().map((r) => [r.tags[0], r.state])).toEqual([
      ["b", "running"],
      ["a:latest", "done"],
    ]);
    expect(calls).toBe(3);
    store.clear();
    expect(store.snapshot().map((r) => r.tags[0])).toEqual(["b"]);
  });
});

describe("file trees", () => {
  it("makes folders from paths, with sizes and marks summed up", () => {
    const root = buildFsTree([
      { path: "/app/site/index.html", type: "file", size: 100, kind: "A" },
      { path: "/app", type: "dir", size: 0, kind: "A" },
      { path: "/app/serve.sh", type: "file", size: 20, kind: "C" },
      { path: "/etc/motd", type: "file", size: 5, kind: "D" },
      { path: "/z", type: "file", size: 1 },
    ]);
    expect(root.children.map((c) => c.name)).toEqual(["app", "etc", "z"]);
    const app = root.children[0]!;
    expect(app.children.map((c) => c.name)).toEqual(["site", "serve.sh"]);
    expect(app.size).toBe(120);
    expect(app.marks).toEqual({ A: 2, C: 1, D: 0 });
    expect(root.size).toBe(121);
    expect(root.marks).toEqual({ A: 2, C: 1, D: 1 });
  });

  it("writes modes like ls -l", () => {
    expect(modeString("dir", 0o755)).toBe("drwxr-xr-x");
    expect(modeString("file", 0o644)).toBe("-rw-r--r--");
    expect(modeString("symlink", 0o777)).toBe("lrwxrwxrwx");
  });
});

describe("format", () => {
  it("sizes like docker, durations, and history instructions", () => {
    expect(humanSize(512)).toBe("512B");
    expect(humanSize(4_264_000)).toBe("4.26MB");
    expect(humanSize(1_090_704)).toBe("1.09MB");
    // The panels say what `docker images` says, in lower case.
    const now = Date.parse("2026-11-28T03:00:00Z");
    expect(timeAgo("2024-01-01T00:00:00Z", now)).toBe("2 years ago");
    expect(timeAgo("2026-11-28T02:59:00Z", now)).toBe("about a minute ago");
    expect(timeAgo("2026-11-28T03:00:00Z", now)).toBe("less than a second ago");
    expect(timeAgo("not a time", now)).toBe("");
    expect(duration(1234)).toBe("1.2s");
    expect(duration(65_000)).toBe("1m 5s");
    expect(instructionText("/bin/sh -c #(nop)  CMD [\"sh\"]")).toBe('CMD ["sh"]');
    expect(instructionText("/bin/sh -c chmod +x serve.sh # buildkit")).toBe("RUN chmod +x serve.sh");
    expect(instructionText("COPY serve.sh ./ # buildkit")).toBe("COPY serve.sh ./");
    expect(instructionText("RUN /bin/sh -c chmod +x serve.sh # buildkit")).toBe("RUN chmod +x serve.sh");
  });
});
