import { describe, expect, it } from "vitest";
import { BerthError } from "../../../src/core/errors.ts";
import {
  type Diagnostic,
  analyzeDockerfile,
  classifySource,
  formatRange,
  loadDockerfile,
  parseDockerfile,
  parseDuration,
  parsePortSpec,
  splitUser,
} from "../../../src/dockerfile/index.ts";

const errors = (text: string) =>
  analyzeDockerfile(text)
    .diagnostics.filter((d: Diagnostic) => d.severity === "error")
    .map((d) => `${formatRange(d.range)} ${d.message}`);
const keywords = (text: string) => parseDockerfile(text).instructions.map((i) => i.keyword);

describe("collecting diagnostics", () => {
  it("keeps going after an error and keeps the instructions that parse", () => {
    const r = parseDockerfile("FROM alpine\nRUNN x\nRUN ok\nCOPY a\nCMD done\n");
    expect(r.instructions.map((i) => i.keyword)).toEqual(["FROM", "RUN", "CMD"]);
    expect(r.diagnostics.map((d) => d.range.start.line)).toEqual([2, 4]);
  });

  it("points at a flag on a continuation line", () => {
    expect(errors("FROM alpine\nRUN \\\n  --foo=1 \\\n  echo\n")).toEqual(["3:3-3:10 unknown flag: --foo"]);
  });

  it("the builder's entry point throws the first error and says how many more", () => {
    try {
      loadDockerfile("FROM alpine\nRUNN x\nCOPY a\nFORM y\n", { file: "app/Dockerfile" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BerthError);
      const e = err as BerthError;
      expect(e.message).toBe("app/Dockerfile:2: unknown instruction: RUNN (did you mean RUN?) (and 2 more errors)");
      expect(e.details).toMatchObject({ file: "app/Dockerfile", line: 2, column: 1 });
      expect((e.details.diagnostics as Diagnostic[]).length).toBe(3);
    }
  });

  it("warnings do not stop the build", () => {
    const plan = loadDockerfile("FROM alpine\nMAINTAINER me\nENV A 1\n");
    expect(plan.diagnostics.map((d) => d.code)).toEqual(["MaintainerDeprecated", "LegacyKeyValueFormat"]);
  });
});

describe("heredocs", () => {
  it("only a separate <<WORD in shell form starts one", () => {
    // exec form: no heredoc, so the next lines are instructions
    expect(keywords('FROM alpine\nRUN ["cat", "<<EOF"]\nRUN echo\n')).toEqual(["FROM", "RUN", "RUN"]);
    // quoted: not a heredoc
    expect(keywords('FROM alpine\nRUN echo "<<EOF"\nRUN echo\n')).toEqual(["FROM", "RUN", "RUN"]);
    // glued to the command: not a heredoc either (as in Docker), so EOF is an instruction
    expect(errors("FROM alpine\nRUN cat<<EOF\nEOF\n")).toEqual(["3:1-3:4 unknown instruction: EOF"]);
    // other instructions do not take heredocs
    expect(keywords("FROM alpine\nCMD cat <<EOF\nRUN x\n")).toEqual(["FROM", "CMD", "RUN"]);
  });

  it("keeps body lines as they are: comments, blank lines, escapes, CRLF stripped", () => {
    const r = parseDockerfile("FROM alpine\r\nRUN 3<<EOF cat >&3\r\n# not a comment\r\n\r\n  ends with \\\r\nEOF\r\n");
    const run = r.instructions[1]!;
    expect(run.keyword === "RUN" && run.heredocs).toEqual([
      { name: "EOF", content: "# not a comment\n\n  ends with \\\n", chomp: false, expand: true },
    ]);
  });

  it("<<- strips tabs (not spaces) before the terminator", () => {
    expect(errors("FROM alpine\nRUN <<-EOF\n  echo\n  EOF\n")).toEqual([
      '2:1-4:6 unterminated heredoc: no line "EOF" ends the heredoc started on line 2',
    ]);
    expect(errors("FROM alpine\nRUN <<-EOF\n\techo\n\t\tEOF\n")).toEqual([]);
  });

  it("a quoted part of the delimiter turns expansion off", () => {
    const r = parseDockerfile("FROM alpine\nCOPY <<E\"O\"F /x\nbody\nEOF\n");
    const copy = r.instructions[1]!;
    expect(copy.keyword === "COPY" && copy.sources).toEqual([{ kind: "heredoc", name: "EOF", content: "body\n", expand: false }]);
  });

  it("a heredoc cannot be the destination", () => {
    expect(errors("FROM alpine\nCOPY a <<EOF\nx\nEOF\n")).toEqual(["2:8-2:13 COPY cannot accept a heredoc as a destination"]);
  });
});

describe("flags", () => {
  it("quotes and backslashes are processed in flag words; -- ends the flags", () => {
    const r = parseDockerfile('FROM alpine\nCOPY --chown="app user":"staff" a b\nRUN --network=none -- --help\n');
    const [, copy, run] = r.instructions;
    expect(copy!.keyword === "COPY" && copy!.chown).toBe("app user:staff");
    expect(run!.keyword === "RUN" && run!.command).toEqual({ form: "shell", script: "--help" });
    expect(run!.keyword === "RUN" && run!.network).toBe("none");
  });

  it("a word starting with -- is a flag on every instruction", () => {
    expect(errors("FROM alpine\nRUN --help\nCMD --version\n")).toEqual([
      "2:5-2:11 unknown flag: --help",
      "3:5-3:14 unknown flag: --version",
    ]);
  });

  it("bool flags take =true/=false, repeated --exclude and --mount add up, empty --from= is no --from", () => {
    const r = parseDockerfile(
      "FROM alpine\nCOPY --link=false --parents=TRUE --exclude=a --exclude=b --from= x y\nRUN --mount=type=tmpfs,target=/a --mount=type=tmpfs,target=/b true\n",
    );
    const [, copy, run] = r.instructions;
    expect(copy).toMatchObject({ link: false, parents: true, exclude: ["a", "b"], from: null });
    expect(run!.keyword === "RUN" && run!.mounts.map((m) => m.target)).toEqual(["/a", "/b"]);
  });

  it("mount values holding a variable are checked after expansion, not before", () => {
    expect(errors("FROM alpine\nRUN --mount=type=$T,target=/x,mode=$M true\n")).toEqual([]);
  });
});

describe("stages", () => {
  it("FROM x AS x names the image x, not itself", () => {
    const plan = analyzeDockerfile("FROM golang AS golang\nRUN go version\n");
    expect(plan.diagnostics).toEqual([]);
    expect(plan.stages[0]!.base).toEqual({ kind: "image", ref: "golang" });
  });

  it("stage names are case-insensitive; --from with a variable is resolved later", () => {
    const plan = analyzeDockerfile("FROM alpine AS Build\nFROM alpine\nCOPY --from=BUILD /a /a\nCOPY --from=$S /b /b\n");
    expect(plan.stages[0]!.name).toBe("build");
    expect(plan.stages[1]!.dependsOn).toEqual([0]);
    expect(plan.diagnostics).toEqual([]);
  });

  it("a mount from a later stage is an error too", () => {
    expect(errors("FROM alpine\nRUN --mount=from=tools,target=/t true\nFROM alpine AS tools\n")).toEqual([
      '2:1-2:38 RUN --mount from=tools refers to stage "tools", defined later on line 3: a stage can only use stages defined before it',
    ]);
  });
});

describe("value helpers", () => {
  it("parsePortSpec", () => {
    expect(parsePortSpec("80")).toEqual({ start: 80, end: 80, protocol: "tcp" });
    expect(parsePortSpec("53/UDP")).toEqual({ start: 53, end: 53, protocol: "udp" });
    expect(parsePortSpec("7000-7002/sctp")).toEqual({ start: 7000, end: 7002, protocol: "sctp" });
    expect(parsePortSpec("80/")).toEqual({ start: 80, end: 80, protocol: "tcp" });
    expect(() => parsePortSpec("9-1")).toThrow("invalid containerPort: 9-1");
    expect(() => parsePortSpec("65536")).toThrow("invalid containerPort: 65536");
  });

  it("parseDuration follows Go's time.ParseDuration", () => {
    expect(parseDuration("30s")).toBe(30e9);
    expect(parseDuration("1h2m3.5s")).toBe(3723.5e9);
    expect(parseDuration("250ms")).toBe(250e6);
    expect(parseDuration("10us")).toBe(10e3);
    expect(parseDuration(".5s")).toBe(0.5e9);
    expect(parseDuration("0")).toBe(0);
    expect(parseDuration("-1s")).toBe(-1e9);
    expect(() => parseDuration("")).toThrow('time: invalid duration ""');
    expect(() => parseDuration("s")).toThrow('time: invalid duration "s"');
    expect(() => parseDuration("1")).toThrow('time: missing unit in duration "1"');
    expect(() => parseDuration("1d")).toThrow('time: unknown unit "d" in duration "1d"');
  });

  it("classifySource tells remote ADD sources from local paths", () => {
    expect(classifySource("https://example.com/a.tgz")).toBe("url");
    expect(classifySource("HTTP://example.com/a")).toBe("url");
    expect(classifySource("https://github.com/a/b.git")).toBe("git");
    expect(classifySource("https://github.com/a/b.git#main:dir")).toBe("git");
    expect(classifySource("git@github.com:a/b.git")).toBe("git");
    expect(classifySource("git://host/repo")).toBe("git");
    expect(classifySource("ssh://git@host/repo.git")).toBe("git");
    expect(classifySource("github.com/a/b")).toBe("path");
    expect(classifySource("./file.git")).toBe("path");
  });

  it("splitUser splits at the first ':' outside ${...}", () => {
    expect(splitUser("app")).toEqual({ user: "app", group: null });
    expect(splitUser("1000:1000")).toEqual({ user: "1000", group: "1000" });
    expect(splitUser("${U:-app}:${G:-app}")).toEqual({ user: "${U:-app}", group: "${G:-app}" });
  });
});
