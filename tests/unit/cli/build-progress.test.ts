import { describe, expect, it } from "vitest";
import type { BuildEvent } from "../../../src/core/engine-api.ts";
import { BuildProgress, snippet, transferLine, type ProgressMode } from "../../../src/cli/build-progress.ts";

const DOCKERFILE = "FROM busybox\nCOPY app.sh /\nRUN echo hi\nRUN exit 3\n";

function render(mode: ProgressMode, events: BuildEvent[], fail?: boolean) {
  let t = 1000;
  let text = "";
  const p = new BuildProgress({ mode, write: (s) => (text += s), now: () => t, columns: 60, sources: { Dockerfile: DOCKERFILE }, dockerfile: "Dockerfile" });
  p.local("[internal] load build definition from Dockerfile", [transferLine("dockerfile", DOCKERFILE.length)]);
  for (const e of events) {
    t += 100;
    p.event(e);
  }
  if (fail) p.finish();
  else {
    p.exported("sha256:abc", ["docker.io/library/demo:latest"], 0);
    p.finish();
  }
  return text;
}

const plan: BuildEvent = {
  type: "plan",
  steps: [
    { id: "a", name: "[1/4] FROM docker.io/library/busybox:latest", stage: "", line: 1 },
    { id: "b", name: "[2/4] COPY app.sh /", stage: "", line: 2 },
    { id: "c", name: "[3/4] RUN echo hi", stage: "", line: 3 },
    { id: "d", name: "[4/4] RUN exit 3", stage: "", line: 4 },
  ],
};

const okEvents: BuildEvent[] = [
  plan,
  { type: "step", id: "a", name: "[1/4] FROM docker.io/library/busybox:latest", status: "cached" },
  { type: "step", id: "b", name: "[2/4] COPY app.sh /", status: "cached" },
  { type: "step", id: "c", name: "[3/4] RUN echo hi", status: "running", cacheMiss: "RUN echo hi is new" },
  { type: "log", id: "c", stream: "stdout", data: "hi\nthere" },
  { type: "log", id: "c", stream: "stdout", data: " again\n" },
  { type: "step", id: "c", name: "[3/4] RUN echo hi", status: "done", durationMs: 312 },
  { type: "done", imageId: "sha256:abc", tags: ["demo:latest"], durationMs: 900 },
];

const failEvents: BuildEvent[] = [
  plan,
  { type: "step", id: "a", name: "[1/4] FROM docker.io/library/busybox:latest", status: "cached" },
  { type: "step", id: "d", name: "[4/4] RUN exit 3", status: "running" },
  { type: "log", id: "d", stream: "stderr", data: "about to fail\n" },
  { type: "step", id: "d", name: "[4/4] RUN exit 3", status: "failed", durationMs: 250, error: 'process "/bin/sh -c exit 3" did not complete successfully: exit code: 3' },
  { type: "error", message: 'process "/bin/sh -c exit 3" did not complete successfully: exit code: 3', stepId: "d", exitCode: 3, file: "Dockerfile", line: 4 },
];

describe("plain progress", () => {
  it("prints BuildKit's numbered steps, cache hits, output and durations", () => {
    expect(render("plain", okEvents)).toBe(
      [
        "#1 [internal] load build definition from Dockerfile",
        "#1 transferring dockerfile: 50B done",
        "#1 DONE 0.0s",
        "",
        "#2 [1/4] FROM docker.io/library/busybox:latest",
        "#2 CACHED",
        "",
        "#3 [2/4] COPY app.sh /",
        "#3 CACHED",
        "",
        "#4 [3/4] RUN echo hi",
        "#4 cache miss: RUN echo hi is new",
        "#4 0.100 hi",
        "#4 0.100 there again",
        "#4 DONE 0.3s",
        "",
        "#5 exporting to image",
        "#5 writing image sha256:abc done",
        "#5 naming to docker.io/library/demo:latest done",
        "#5 DONE 0.0s",
        "",
        "",
      ].join("\n"),
    );
  });

  it("ends a failure with the step's output, the Dockerfile lines and ERROR", () => {
    const text = render("plain", failEvents, true);
    expect(text).toContain('#3 ERROR: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3\n');
    expect(text).toContain(
      [
        "------",
        " > [4/4] RUN exit 3:",
        "0.100 about to fail",
        "------",
        "Dockerfile:4",
        "--------------------",
        "   1 |     FROM busybox",
        "   2 |     COPY app.sh /",
        "   3 |     RUN echo hi",
        "   4 | >>> RUN exit 3",
        "--------------------",
        'ERROR: failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3',
        "",
      ].join("\n"),
    );
    expect(text).not.toContain("exporting to image");
  });
});

describe("tty progress", () => {
  it("redraws a block with CACHED steps and right-aligned durations", () => {
    const text = render("tty", okEvents);
    const last = text.slice(text.lastIndexOf("[+] Building"));
    const lines = last.split("\n").map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, ""));
    expect(lines[0]).toMatch(/^\[\+\] Building \d+\.\ds \(5\/5\) FINISHED$/);
    const row = (left: string, right: string) => left.padEnd(59 - right.length) + right;
    expect(lines).toContain(row(" => CACHED [2/4] COPY app.sh /", "0.0s"));
    expect(lines).toContain(row(" => [3/4] RUN echo hi", "0.3s"));
    expect(lines).toContain(row(" => => naming to docker.io/library/demo:latest", "0.0s"));
    expect(text).toContain("\x1b[");
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(59);
  });

  it("marks the failed step and prints the report", () => {
    const text = render("tty", failEvents, true);
    const plainText = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
    expect(plainText).toContain(" => ERROR [4/4] RUN exit 3");
    expect(plainText).toContain(" => => # about to fail");
    expect(plainText).toMatch(/ERROR: failed to solve: process "\/bin\/sh -c exit 3" did not complete successfully: exit code: 3\n$/);
  });
});

describe("other modes", () => {
  it("quiet prints only a failure", () => {
    expect(render("quiet", okEvents)).toBe("");
    expect(render("quiet", failEvents, true)).toContain("ERROR: failed to solve:");
  });
  it("rawjson prints the events", () => {
    const lines = render("rawjson", okEvents).trim().split("\n");
    expect(JSON.parse(lines[0]!)).toEqual(plan);
  });
});

describe("snippet", () => {
  it("shows up to four lines before and two after", () => {
    const src = Array.from({ length: 10 }, (_, i) => `L${i + 1}`).join("\n");
    expect(snippet("Dockerfile", src, 7)).toEqual([
      "Dockerfile:7",
      "--------------------",
      "   3 |     L3",
      "   4 |     L4",
      "   5 |     L5",
      "   6 |     L6",
      "   7 | >>> L7",
      "   8 |     L8",
      "   9 |     L9",
      "--------------------",
    ]);
    expect(snippet("Dockerfile", src, 99)).toEqual([]);
  });
});
