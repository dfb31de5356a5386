import { describe, expect, it } from "vitest";
import { KEYWORDS } from "../../../src/dockerfile/index.ts";
import { dockerfileProblems, isDockerfileName } from "../../../src/ui/diagnostics.ts";
import {
  INSTRUCTION_DOCS,
  completionContext,
  endsWithContinuation,
  escapeOf,
  instructionMarkdown,
  instructionOfLine,
  keywordAt,
} from "../../../src/ui/dockerfile-docs.ts";

describe("instruction docs", () => {
  it("cover every instruction the parser knows", () => {
    expect([...INSTRUCTION_DOCS.keys()].sort()).toEqual([...KEYWORDS].sort());
    for (const doc of INSTRUCTION_DOCS.values()) {
      expect(doc.summary.length, doc.keyword).toBeGreaterThan(10);
      expect(doc.example.toUpperCase().startsWith(doc.keyword) || doc.deprecated, doc.keyword).toBeTruthy();
      expect(instructionMarkdown(doc)).toContain(`**${doc.keyword}**`);
      expect(instructionMarkdown(doc)).toContain(`(https://docs.docker.com/reference/dockerfile/#${doc.keyword.toLowerCase()})`);
    }
  });

  it("know which instruction a line belongs to, and the escape character", () => {
    const lines = ["# escape=`", "FROM busybox AS a", "RUN echo `", "  # a comment", "", "  FROM", "onbuild copy . /", "# FROM"];
    expect(escapeOf(lines.join("\n"))).toBe("`");
    expect(escapeOf("FROM busybox\n# escape=`\n")).toBe("\\");
    expect(escapeOf("# syntax=docker/dockerfile:1\n# escape=\\\n")).toBe("\\");
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => instructionOfLine(lines, i, "`"))).toEqual([null, "FROM", "RUN", null, "RUN", "RUN", "COPY", null]);
    // With the default escape, the RUN line does not continue.
    expect(instructionOfLine(lines, 5)).toBe("FROM");
  });

  it("find the keyword under the cursor, also after ONBUILD", () => {
    expect(keywordAt("FROM busybox", 1)).toEqual({ word: "FROM", start: 1, end: 5 });
    expect(keywordAt("  run echo", 4)).toEqual({ word: "run", start: 3, end: 6 });
    expect(keywordAt("FROM busybox", 8)).toBeNull();
    expect(keywordAt("ONBUILD COPY . /app", 10)).toEqual({ word: "COPY", start: 9, end: 13 });
    expect(keywordAt("FORM x", 2)).toBeNull();
    expect(keywordAt("# FROM", 3)).toBeNull();
  });

  it("know when to offer instructions and when flags", () => {
    expect(completionContext("", 1)).toEqual({ kind: "instruction", prefix: "", start: 1, afterOnbuild: false });
    expect(completionContext("WO", 3)).toEqual({ kind: "instruction", prefix: "WO", start: 1, afterOnbuild: false });
    expect(completionContext("ONBUILD R", 10)).toEqual({ kind: "instruction", prefix: "R", start: 9, afterOnbuild: true });
    expect(completionContext("COPY --", 8)).toEqual({ kind: "flag", keyword: "COPY", prefix: "--", start: 6 });
    expect(completionContext("COPY --from=build --ch", 23)).toEqual({ kind: "flag", keyword: "COPY", prefix: "--ch", start: 19 });
    expect(completionContext("CMD --", 7)).toBeNull();
    expect(completionContext("RUN echo hi", 12)).toBeNull();
    expect(completionContext("# WO", 5)).toBeNull();
    // A continuation line is not a new instruction.
    expect(completionContext("  apk", 6, true)).toBeNull();
    expect(endsWithContinuation("RUN a && \\")).toBe(true);
    expect(endsWithContinuation("RUN a")).toBe(false);
    expect(endsWithContinuation("# comment \\")).toBe(false);
  });
});

describe("editor diagnostics", () => {
  it("recognise Dockerfile names", () => {
    for (const p of ["Dockerfile", "Dockerfile.fast", "app/Dockerfile", "web.dockerfile", "Containerfile", "dockerfile-dev"]) {
      expect(isDockerfileName(p), p).toBe(true);
    }
    for (const p of ["README.md", "Dockerfiles/x.txt", "notDockerfile"]) expect(isDockerfileName(p), p).toBe(false);
  });

  it("turn parser diagnostics into markers with ranges", () => {
    const problems = dockerfileProblems("FROM busybox\nFORM x\n");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: "error", startLineNumber: 2, startColumn: 1, endLineNumber: 2, endColumn: 5 });
    expect(problems[0].message).toMatch(/unknown instruction: FORM/);
    expect(dockerfileProblems("FROM busybox\nMAINTAINER me\n").map((p) => p.severity)).toEqual(["warning"]);
    expect(dockerfileProblems("FROM busybox\n")).toEqual([]);
    // Every marker spans at least one character.
    for (const p of dockerfileProblems("")) {
      expect(p.endLineNumber > p.startLineNumber || p.endColumn > p.startColumn).toBe(true);
    }
  });
});
