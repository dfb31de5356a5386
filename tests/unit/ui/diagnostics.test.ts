import { describe, expect, it } from "vitest";
import { dockerfileProblems, fromLint, isDockerfileName, type EditorProblem } from "../../../src/ui/diagnostics.ts";
import { lintDockerfile } from "../../../src/ui/dockerfile-language.ts";
import { EXAMPLES } from "../../../src/ui/examples.ts";

// The editor's markers: our parser's diagnostics merged with dockerfile-utils'
// validation, on real Dockerfiles.

const problems = (text: string) => dockerfileProblems(text, undefined, lintDockerfile);
const brief = (p: EditorProblem) => `${p.startLineNumber}:${p.startColumn}-${p.endLineNumber}:${p.endColumn} ${p.severity} ${p.source} ${p.message}`;

describe("merged Dockerfile problems", () => {
  it("show a problem both report once, as ours", () => {
    const text = [
      "FROM busybox AS a", // 1
      "MAINTAINER me", // 2
      "FORM x", // 3
      "EXPOSE abc", // 4
      "STOPSIGNAL NOPE", // 5
      "CMD a", // 6
      "CMD b", // 7
      "RUN echo \\", // 8
      "", // 9
      "  x", // 10
      "HEALTHCHECK --interval=3 CMD true", // 11
      "FROM busybox AS a", // 12
      "FROM x BS y", // 13
      "ONBUILD FROM x", // 14
      "ENV", // 15
      "",
    ].join("\n");
    // dockerfile-utils alone reports each of these too (so the merge has work to do).
    const lintLines = new Set(lintDockerfile(text).map((d) => d.range.start.line + 1));
    for (const line of [2, 3, 4, 5, 6, 9, 11, 12, 13, 14, 15]) expect(lintLines, `line ${line}`).toContain(line);

    const got = problems(text);
    expect(got.map(brief)).toEqual([
      "2:1-2:11 warning berth MAINTAINER instruction is deprecated in favor of using LABEL",
      "3:1-3:5 error berth unknown instruction: FORM (did you mean FROM?)",
      "4:8-4:11 error berth invalid containerPort: abc",
      "5:12-5:16 error berth Invalid signal: NOPE",
      "6:1-6:6 warning berth Multiple CMD instructions should not be used in the same stage because only the last one will be used",
      "9:1-9:2 warning berth Empty continuation line found: empty continuation lines will become errors in a future release",
      '11:13-11:25 error berth time: missing unit in duration "3"',
      '12:1-12:18 error berth duplicate stage name "a" (first used on line 1)',
      "13:6-13:12 error berth FROM requires either one or three arguments",
      "14:9-14:13 error berth FROM isn't allowed as an ONBUILD trigger",
      "15:1-15:4 error berth ENV requires at least one argument",
    ]);
    // The linter's looks stay: MAINTAINER struck through, the overridden CMD faded.
    expect(got[0]!.tags).toEqual(["deprecated"]);
    expect(got[4]!.tags).toEqual(["unnecessary"]);
  });

  it("add the linter's problems ours do not report, as warnings when the build would not fail", () => {
    const text = [
      "FROM busybox",
      "WORKDIR app",
      "copy a /b",
      "CMD ['sh']",
      "HEALTHCHECK --retries=0 CMD true",
      "",
    ].join("\n");
    // Our parser (what the build says) accepts all of it.
    expect(dockerfileProblems(text)).toEqual([]);
    expect(problems(text).map(brief)).toEqual([
      "2:9-2:12 warning dockerfile-utils WORKDIR paths should be absolute",
      "3:1-3:5 warning dockerfile-utils Instructions should be written in uppercase letters",
      "4:5-4:11 warning dockerfile-utils Instruction written as a JSON array but is using single quotes instead of double quotes",
      // An error to dockerfile-utils, but today's builder only refuses a negative count.
      "5:23-5:24 warning dockerfile-utils --retries must be at least 1 (not 0)",
    ]);
  });

  it("keep a different problem on the same words", () => {
    // Ours: the missing argument; the linter's casing warning is another problem.
    expect(problems("FROM busybox\ncopy a\n").map(brief)).toEqual([
      "2:1-2:5 warning dockerfile-utils Instructions should be written in uppercase letters",
      "2:6-2:7 error berth COPY requires at least two arguments, but only one was provided. Destination could not be determined",
    ]);
  });

  it("find nothing in the starter examples or in newer syntax", () => {
    for (const example of EXAMPLES) {
      for (const file of example.files) {
        if (!isDockerfileName(file.path)) continue;
        expect(problems(file.text), `${example.title}: ${file.path}`).toEqual([]);
      }
    }
    const modern = [
      "# syntax=docker/dockerfile:1",
      "ARG BASE=busybox",
      "FROM --platform=$BUILDPLATFORM ${BASE} AS build",
      "RUN --mount=type=cache,target=/root/.cache --network=none echo hi",
      "RUN <<EOF",
      "echo one",
      "EOF",
      "COPY --parents --exclude=*.md a/ /b/",
      "COPY --link --chmod=755 x /y",
      "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/a /a",
      "FROM busybox",
      "COPY --from=build /a /a",
      "COPY <<EOF /etc/motd",
      "hello",
      "EOF",
      "HEALTHCHECK --start-interval=2s --start-period=3s CMD true",
      "",
    ].join("\n");
    expect(problems(modern)).toEqual([]);
  });

  it("follow the escape directive", () => {
    const text = "# escape=`\nFROM busybox\nRUN echo `\n\n  hi\nEXPOSE 80/xyz\n";
    expect(problems(text).map(brief)).toEqual([
      "4:1-4:2 warning berth Empty continuation line found: empty continuation lines will become errors in a future release",
      "6:8-6:14 error berth invalid proto: xyz",
    ]);
  });

  it("map LSP severities, tags and 0-based ranges", () => {
    const range = { start: { line: 2, character: 0 }, end: { line: 2, character: 4 } };
    expect(fromLint({ range, message: "m", severity: 1 })).toMatchObject({ severity: "error", startLineNumber: 3, startColumn: 1, endLineNumber: 3, endColumn: 5 });
    expect(fromLint({ range, message: "m", severity: 2, tags: [1] })).toMatchObject({ severity: "warning", tags: ["unnecessary"] });
    expect(fromLint({ range, message: "m", severity: 3, tags: [2] })).toMatchObject({ severity: "info", tags: ["deprecated"] });
    expect(fromLint({ range, message: "m", severity: 4 })).toMatchObject({ severity: "hint" });
    expect(fromLint({ range, message: "m" })).toMatchObject({ severity: "error", source: "dockerfile-utils" });
    // Information and hints from a linter stay what they are.
    const info = dockerfileProblems("FROM busybox\n", undefined, () => [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, message: "note", severity: 3 }]);
    expect(info.map(brief)).toEqual(["1:1-1:2 info dockerfile-utils note"]);
  });

  it("still show ours when the linter throws", () => {
    const got = dockerfileProblems("FROM busybox\nFORM x\n", undefined, () => {
      throw new Error("linter bug");
    });
    expect(got.map((p) => p.message)).toEqual(["unknown instruction: FORM (did you mean FROM?)"]);
  });
});
