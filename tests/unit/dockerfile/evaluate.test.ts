import { describe, expect, it } from "vitest";
import { BerthError } from "../../../src/core/errors.ts";
import {
  type CopyInstruction,
  type Instruction,
  type RunInstruction,
  expandFrom,
  expandStage,
  loadDockerfile,
  platformArgs,
  resolveGlobalArgs,
  resolveWorkdir,
  runCommand,
  stagesFor,
  unusedBuildArgs,
} from "../../../src/dockerfile/index.ts";

const plan = (text: string) => loadDockerfile(text);
const steps = (text: string, options = {}, stage = 0) => expandStage(plan(text), stage, options).steps;
const only = <K extends Instruction["keyword"]>(list: { instruction: Instruction }[], keyword: K) =>
  list.map((s) => s.instruction).filter((i): i is Extract<Instruction, { keyword: K }> => i.keyword === keyword);

describe("global args and FROM", () => {
  const text = "ARG BASE=alpine\nARG TAG=3.19\nARG REF=${BASE}:${TAG}\nFROM --platform=$BUILDPLATFORM ${REF} AS build\n";

  it("expands FROM with the global args, defaults expanded in order", () => {
    const p = plan(text);
    expect(p.stages[0]!.base).toBeNull(); // known only after expansion
    const f = expandFrom(p, 0, { builtinArgs: platformArgs("linux/386", "linux/amd64") });
    expect(f.from.image).toBe("alpine:3.19");
    expect(f.from.platform).toBe("linux/amd64");
    expect(f.base).toEqual({ kind: "image", ref: "alpine:3.19" });
  });

  it("build args replace defaults and are not expanded themselves", () => {
    const p = plan(text);
    expect(expandFrom(p, 0, { buildArgs: { TAG: "3.20" } }).from.image).toBe("alpine:3.20");
    expect(expandFrom(p, 0, { buildArgs: { REF: "busybox:$TAG" } }).from.image).toBe("busybox:$TAG");
    const meta = resolveGlobalArgs(plan("ARG A\nARG B=x\nFROM scratch\n"));
    expect([...meta]).toEqual([
      ["A", undefined],
      ["B", "x"],
    ]);
  });

  it("a FROM that names an earlier stage through a variable resolves to that stage", () => {
    const p = plan("ARG FROM_STAGE=builder\nFROM alpine AS builder\nFROM ${FROM_STAGE}\n");
    expect(expandFrom(p, 1).base).toEqual({ kind: "stage", index: 0, name: "builder" });
    expect(expandFrom(p, 1, { buildArgs: { FROM_STAGE: "scratch" } }).base).toEqual({ kind: "scratch" });
  });

  it("a FROM that expands to nothing is an error with its line", () => {
    const p = plan("ARG IMAGE\nFROM ${IMAGE}\n");
    expect(() => expandFrom(p, 0)).toThrow("Dockerfile:2: base name (${IMAGE}) should not be blank");
    try {
      expandFrom(p, 0, { file: "build/Dockerfile" });
    } catch (err) {
      expect(err).toBeInstanceOf(BerthError);
      expect((err as BerthError).details).toMatchObject({ file: "build/Dockerfile", line: 2, column: 1 });
    }
  });
});

describe("ARG and ENV scope in a stage", () => {
  it("a global ARG is visible in a stage only after ARG NAME redeclares it", () => {
    const s = steps("ARG VERSION=latest\nFROM busybox:$VERSION\nRUN echo $VERSION\nARG VERSION\nRUN echo $VERSION\nENV V=$VERSION\n");
    expect(s[0]!.scope.args).toEqual({});
    expect(s[2]!.scope.args).toEqual({ VERSION: "latest" });
    expect(only(s, "ENV")[0]!.pairs).toEqual([{ key: "V", value: "latest" }]);
  });

  it("--build-arg replaces a stage ARG default; without it the default is expanded", () => {
    const text = "FROM alpine\nENV BASE=/opt\nARG DIR=$BASE/app\nWORKDIR $DIR\n";
    expect(only(steps(text), "WORKDIR")[0]!.path).toBe("/opt/app");
    expect(only(steps(text, { buildArgs: { DIR: "/srv" } }), "WORKDIR")[0]!.path).toBe("/srv");
  });

  it("ENV wins over an ARG of the same name (Docker's documented rule)", () => {
    const text = "FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nLABEL v=$CONT_IMG_VER\n";
    expect(only(steps(text, { buildArgs: { CONT_IMG_VER: "v2.0.1" } }), "LABEL")[0]!.pairs).toEqual([{ key: "v", value: "v1.0.0" }]);
    const text2 = "FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\nLABEL v=$CONT_IMG_VER\n";
    expect(only(steps(text2, { buildArgs: { CONT_IMG_VER: "v2.0.1" } }), "LABEL")[0]!.pairs[0]!.value).toBe("v2.0.1");
    expect(only(steps(text2), "LABEL")[0]!.pairs[0]!.value).toBe("v1.0.0");
  });

  it("all pairs of one ENV see the values from before it", () => {
    const s = steps("FROM alpine\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n");
    expect(only(s, "ENV").map((e) => e.pairs)).toEqual([
      [{ key: "abc", value: "hello" }],
      [
        { key: "abc", value: "bye" },
        { key: "def", value: "hello" },
      ],
      [{ key: "ghi", value: "bye" }],
    ]);
  });

  it("ARG defaults in one instruction see the earlier ones", () => {
    const s = steps("FROM alpine\nARG A=1 B=${A}2\nRUN true\n");
    expect(s[1]!.scope.args).toEqual({ A: "1", B: "12" });
  });

  it("ARGs end with their stage; ENV carries into a stage FROM this one via base", () => {
    const p = plan("FROM alpine AS one\nARG X=1\nENV Y=2\nFROM one\nRUN echo\n");
    const first = expandStage(p, 0);
    const second = expandStage(p, 1, { base: first.final });
    expect(second.steps[0]!.scope.args).toEqual({});
    expect(second.steps[0]!.scope.env).toEqual({ Y: "2" });
  });

  it("builtin platform args need ARG inside a stage", () => {
    const text = "FROM alpine\nRUN echo\nARG TARGETARCH\nRUN echo\n";
    const s = steps(text, { builtinArgs: platformArgs("linux/386") });
    expect(s[0]!.scope.args).toEqual({});
    expect(s[2]!.scope.args).toEqual({ TARGETARCH: "386" });
  });

  it("starts from the base image's env, workdir, user and shell", () => {
    const s = steps("FROM alpine\nRUN echo\nENV PATH=/opt/bin:$PATH\nRUN echo\n", {
      base: { env: { PATH: "/usr/bin" }, workdir: "/home", user: "app", shell: ["/bin/ash", "-c"] },
    });
    expect(s[0]!.scope).toEqual({ env: { PATH: "/usr/bin" }, args: {}, workdir: "/home", user: "app", shell: ["/bin/ash", "-c"] });
    expect(s[2]!.scope.env).toEqual({ PATH: "/opt/bin:/usr/bin" });
  });
});

describe("what is expanded and what is not", () => {
  const text = [
    "FROM alpine",
    "ARG NAME=app",
    "ARG PORTS=\"80 443/udp\"",
    "ENV HOME_DIR=/srv/$NAME",
    'LABEL "com.example.$NAME"="${NAME} image"',
    "WORKDIR $HOME_DIR",
    "WORKDIR sub/../data",
    "USER ${NAME}:${GROUP:-staff}",
    "EXPOSE $PORTS 8000-8002",
    "VOLUME $HOME_DIR/cache",
    "STOPSIGNAL SIG${SIG:-TERM}",
    "COPY --chown=$NAME:$NAME --chmod=${MODE:-644} --exclude=$NAME.tmp src/$NAME.txt $HOME_DIR/",
    "RUN echo $NAME",
    'CMD ["echo", "$NAME"]',
    "ENTRYPOINT echo $NAME",
    "HEALTHCHECK CMD echo $NAME",
    "ONBUILD RUN echo $NAME",
  ].join("\n");
  const s = steps(text);
  const byKeyword = (k: string) => s.find((x) => x.instruction.keyword === k)!.instruction;

  it("expands LABEL keys and values, removing quotes", () => {
    expect(byKeyword("LABEL")).toMatchObject({ pairs: [{ key: "com.example.app", value: "app image" }] });
  });

  it("resolves WORKDIR against the previous one", () => {
    expect(only(s, "WORKDIR").map((w) => w.path)).toEqual(["/srv/app", "/srv/app/data"]);
    expect(s.find((x) => x.instruction.keyword === "RUN")!.scope.workdir).toBe("/srv/app/data");
  });

  it("expands USER, then splits user and group", () => {
    expect(byKeyword("USER")).toMatchObject({ value: "app:staff", user: "app", group: "staff" });
  });

  it("splits EXPOSE words after expansion and lists each port with its protocol", () => {
    expect(byKeyword("EXPOSE")).toMatchObject({ ports: ["80/tcp", "443/udp", "8000/tcp", "8001/tcp", "8002/tcp"] });
  });

  it("expands VOLUME, STOPSIGNAL and COPY paths and flags", () => {
    expect(byKeyword("VOLUME")).toMatchObject({ paths: ["/srv/app/cache"] });
    expect(byKeyword("STOPSIGNAL")).toMatchObject({ signal: "SIGTERM" });
    expect(byKeyword("COPY")).toMatchObject({
      sources: [{ kind: "path", path: "src/app.txt" }],
      dest: "/srv/app/",
      chown: "app:app",
      chmod: "644",
      exclude: ["app.tmp"],
    });
  });

  it("leaves RUN, CMD, ENTRYPOINT, HEALTHCHECK and ONBUILD to the shell / the child build", () => {
    expect(byKeyword("RUN")).toMatchObject({ command: { form: "shell", script: "echo $NAME" } });
    expect(byKeyword("CMD")).toMatchObject({ command: { form: "exec", args: ["echo", "$NAME"] } });
    expect(byKeyword("ENTRYPOINT")).toMatchObject({ command: { form: "shell", script: "echo $NAME" } });
    expect(byKeyword("HEALTHCHECK")).toMatchObject({ command: { form: "shell", script: "echo $NAME" } });
    expect(byKeyword("ONBUILD")).toMatchObject({ expression: "RUN echo $NAME" });
  });

  it("gives RUN the ARG values and ENV in scope (for its environment and cache key)", () => {
    const run = s.find((x) => x.instruction.keyword === "RUN")!;
    expect(run.scope.args).toEqual({ NAME: "app", PORTS: "80 443/udp" });
    expect(run.scope.env).toEqual({ HOME_DIR: "/srv/app" });
    expect(run.scope.user).toBe("app:staff");
  });
});

describe("COPY/ADD sources after expansion", () => {
  it("expands unquoted heredocs with the build scope, keeping quotes; quoted ones stay as written", () => {
    const s = steps('FROM alpine\nARG FOO=bar\nCOPY <<EOF <<"RAW" /dst/\necho "hello ${FOO}" \'$FOO\'\nEOF\n$FOO\nRAW\n');
    expect(only(s, "COPY")[0]!.sources).toEqual([
      { kind: "heredoc", name: "EOF", content: "echo \"hello bar\" 'bar'\n", expand: true },
      { kind: "heredoc", name: "RAW", content: "$FOO\n", expand: false },
    ]);
  });

  it("classifies ADD sources after expansion (a URL in a variable is still remote)", () => {
    const s = steps("FROM alpine\nARG URL=https://example.com/x.tgz\nARG REPO=https://github.com/a/b.git\nADD $URL $REPO local /d/\n");
    expect(only(s, "ADD")[0]!.sources).toEqual([
      { kind: "url", url: "https://example.com/x.tgz" },
      { kind: "git", url: "https://github.com/a/b.git" },
      { kind: "path", path: "local" },
    ]);
  });

  it("expands COPY --from and RUN --mount values", () => {
    const s = steps("FROM alpine\nARG SRC=builder\nARG ID=npm\nCOPY --from=$SRC /a /b\nRUN --mount=type=cache,id=$ID,target=/root/.$ID true\n");
    expect((s[2]!.instruction as CopyInstruction).from).toBe("builder");
    expect((s[3]!.instruction as RunInstruction).mounts[0]).toMatchObject({ type: "cache", id: "npm", target: "/root/.npm" });
  });
});

describe("expansion errors", () => {
  it("${X:?message} stops the walk with the instruction's line", () => {
    const p = plan("FROM alpine\nARG TOKEN\nENV T=${TOKEN:?required}\n");
    expect(() => expandStage(p, 0)).toThrow('Dockerfile:3: failed to process "${TOKEN:?required}": TOKEN: required');
    // like Docker, ENV splits words before expanding: a message with spaces needs quotes
    expect(() => plan("FROM alpine\nENV T=${TOKEN:?set it}\n")).toThrow(`can't find = in "it}"`);
    const quoted = plan('FROM alpine\nARG TOKEN\nENV T="${TOKEN:?set it}"\n');
    expect(() => expandStage(quoted, 0)).toThrow("TOKEN: set it");
    expect(() => expandStage(p, 0, { buildArgs: { TOKEN: "x" } })).not.toThrow();
  });

  it("checks values that were only known after expansion", () => {
    expect(() => steps("FROM alpine\nARG P=http\nEXPOSE $P\n")).toThrow("Dockerfile:3: invalid containerPort: http");
    expect(() => steps("FROM alpine\nARG S=SIGNOPE\nSTOPSIGNAL $S\n")).toThrow("Dockerfile:3: Invalid signal: SIGNOPE");
    expect(() => steps("FROM alpine\nARG T=cach\nRUN --mount=type=$T,target=/x true\n")).toThrow('unsupported mount type "cach"');
  });
});

describe("helpers for the builder", () => {
  it("resolveWorkdir joins and cleans relative paths, keeps absolute ones", () => {
    expect(resolveWorkdir("/", "app")).toBe("/app");
    expect(resolveWorkdir("/a/b", "../c/./d")).toBe("/a/c/d");
    expect(resolveWorkdir("/a", "/abs//x")).toBe("/abs//x");
  });

  it("unusedBuildArgs lists build args no ARG declares (proxy args excepted)", () => {
    const p = plan("ARG G\nFROM alpine\nARG S\n");
    expect(unusedBuildArgs(p, { G: "1", S: "2", EXTRA: "3", HTTP_PROXY: "x" })).toEqual(["EXTRA"]);
  });

  it("passes proxy build args to RUN without an ARG", () => {
    expect(expandStage(plan("FROM alpine\n"), 0, { buildArgs: { https_proxy: "http://p:3128", X: "1" } }).proxyArgs).toEqual({
      https_proxy: "http://p:3128",
    });
  });

  it("stagesFor picks the target and what it needs, in order", () => {
    const p = plan("FROM alpine AS a\nFROM alpine AS b\nFROM a AS c\nCOPY --from=b /x /x\nFROM alpine AS d\n");
    expect(stagesFor(p, "c").map((s) => s.name)).toEqual(["a", "b", "c"]);
    expect(stagesFor(p, "A").map((s) => s.name)).toEqual(["a"]);
    expect(stagesFor(p).map((s) => s.name)).toEqual(["d"]);
    expect(stagesFor(p, 2).map((s) => s.index)).toEqual([0, 1, 2]);
    expect(stagesFor(p, "nope")).toEqual([]);
  });

  it("runCommand builds the process for each RUN form, heredocs included", () => {
    const runs = only(
      steps(
        [
          "FROM alpine",
          'RUN ["echo", "hi"]',
          "RUN echo hi",
          "RUN <<EOF",
          "echo one",
          "EOF",
          "RUN <<-EOF",
          "\techo tabbed",
          "\tEOF",
          "RUN <<EOF",
          "#!/usr/bin/env python3",
          "print(1)",
          "EOF",
          "RUN cat <<A > /a",
          "x",
          "A",
        ].join("\n") + "\n",
      ),
      "RUN",
    );
    const sh = ["/bin/sh", "-c"];
    expect(runCommand(runs[0]!)).toEqual({ args: ["echo", "hi"] });
    expect(runCommand(runs[1]!, ["/bin/bash", "-c"])).toEqual({ args: ["/bin/bash", "-c", "echo hi"] });
    expect(runCommand(runs[2]!)).toEqual({ args: [...sh, "echo one\n"] });
    expect(runCommand(runs[3]!)).toEqual({ args: [...sh, "echo tabbed\n"] });
    expect(runCommand(runs[4]!)).toEqual({
      args: [...sh, "/dev/pipes/EOF"],
      file: { path: "/dev/pipes/EOF", content: "#!/usr/bin/env python3\nprint(1)\n", mode: 0o755 },
    });
    expect(runCommand(runs[5]!)).toEqual({ args: [...sh, "cat <<A > /a\nx\nA"] });
  });
});
