import https from "node:https";
import { DockerfileLanguageServiceFactory } from "dockerfile-language-service";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  completionKindName,
  dockerfileCompletions,
  dockerfileHover,
  dockerfileSignatureHelp,
  fromLspCompletion,
  lintDockerfile,
  markupToMarkdown,
  plainToMarkdown,
  withBuffer,
} from "../../../src/ui/dockerfile-language.ts";

// The editor's hover, completion and signature help: our instruction docs and
// dockerfile-language-service, in Monaco's coordinates (1-based).

const labels = async (text: string, line: number, column: number) => (await dockerfileCompletions(text, line, column)).map((c) => c.label);

describe("hover", () => {
  it("shows our docs over an instruction keyword, with its range", () => {
    const hover = dockerfileHover("FROM busybox\nVOLUME /data\n", 2, 3)!;
    expect(hover.markdown).toContain("**VOLUME** — Marks a path whose data lives outside");
    expect(hover.markdown).toContain("[Dockerfile reference](https://docs.docker.com/reference/dockerfile/#volume)");
    expect(hover.range).toEqual({ startLineNumber: 2, startColumn: 1, endLineNumber: 2, endColumn: 7 });
    // The trigger of an ONBUILD.
    expect(dockerfileHover("FROM busybox\nONBUILD COPY . /app\n", 2, 10)!.markdown).toContain("**COPY**");
  });

  it("asks the language service elsewhere: flags, directives, variables", () => {
    const text = "# escape=\\\nFROM busybox AS build\nFROM busybox\nARG VERSION=1.2\nCOPY --from=build /a /a\nRUN echo $VERSION\n";
    expect(dockerfileHover(text, 5, 9)!.markdown).toContain("The previous build stage to use as the source location");
    expect(dockerfileHover(text, 1, 4)!.markdown).toContain("Sets the character to use to escape characters");
    // A variable's value is plain text, fenced so that markdown in it shows as written.
    expect(dockerfileHover(text, 6, 12)!.markdown).toBe("```text\n1.2\n```");
    expect(dockerfileHover(text, 4, 6)!.markdown).toBe("```text\n1.2\n```");
    // Nothing to say on an image name.
    expect(dockerfileHover(text, 3, 8)).toBeNull();
  });

  it("does not take a continued line's first word for an instruction", () => {
    const hover = dockerfileHover("FROM busybox\nRUN echo \\\n  VOLUME\n", 3, 4);
    expect(hover?.markdown ?? "").not.toContain("**VOLUME**");
  });

  it("turns LSP markup into markdown", () => {
    expect(markupToMarkdown({ kind: "markdown", value: "**x**" })).toBe("**x**");
    expect(markupToMarkdown({ kind: "plaintext", value: "*x*" })).toBe("```text\n*x*\n```");
    expect(markupToMarkdown([{ language: "sh", value: "echo" }, "v"])).toBe("```sh\necho\n```\n\n```text\nv\n```");
    expect(plainToMarkdown("a ``` b")).toBe("````text\na ``` b\n````");
  });
});

describe("completion", () => {
  it("offers our instructions (as snippets) and flags", async () => {
    const items = await dockerfileCompletions("FROM busybox\nWO", 2, 3);
    const workdir = items.find((c) => c.label === "WORKDIR")!;
    expect(workdir).toMatchObject({ kind: "Keyword", insertText: "WORKDIR ${1:/app}", snippet: true, range: { startLineNumber: 2, startColumn: 1, endLineNumber: 2, endColumn: 3 } });
    expect(workdir.documentation).toContain("**WORKDIR**");
    expect(items.find((c) => c.label === "MAINTAINER")!.deprecated).toBe(true);
    expect(await labels("FROM busybox\nONBUILD ", 2, 9)).not.toContain("FROM");
    expect(await labels("FROM busybox\nCOPY --", 2, 8)).toEqual(["--from", "--chown", "--chmod", "--link", "--parents", "--exclude"]);
    expect(await labels("FROM busybox\nRUN --m", 2, 8)).toContain("--mount");
  });

  it("asks the language service for variables, stages, subcommands, folders and directives", async () => {
    const vars = await dockerfileCompletions("FROM busybox\nARG VERSION=1\nRUN echo $V", 3, 12);
    expect(vars).toEqual([
      { label: "$VERSION", kind: "Variable", insertText: "$VERSION", snippet: false, documentation: "```text\n1\n```", range: { startLineNumber: 3, startColumn: 10, endLineNumber: 3, endColumn: 12 } },
    ]);
    // ${…} is plain text here, not a snippet placeholder.
    const braced = await dockerfileCompletions("FROM busybox\nARG VERSION=1\nRUN echo ${V", 3, 13);
    expect(braced.map((c) => [c.insertText, c.snippet])).toEqual([["${VERSION}", false]]);
    const stages = await dockerfileCompletions("FROM busybox AS build\nFROM busybox\nCOPY --from=", 3, 13);
    expect(stages.map((c) => [c.label, c.kind])).toEqual([["build", "Reference"]]);
    // HEALTHCHECK's subcommands from the service; its flags only from us.
    const health = await dockerfileCompletions("FROM busybox\nHEALTHCHECK ", 2, 13);
    expect(health.map((c) => c.label)).toEqual(['CMD [ "executable" ]', "NONE"]);
    expect(health[0]).toMatchObject({ snippet: true, insertText: 'CMD [ "${1:executable}" ]' });
    expect(health[0]!.documentation).toContain("HEALTHCHECK");
    expect(await labels("FROM busybox\nWORKDIR /app\nCOPY a ", 3, 8)).toEqual(["/app/"]);
    expect(await labels("# \nFROM busybox\n", 1, 3)).toEqual(["escape=`", "syntax=docker/dockerfile:experimental"]);
    // Inside a comment and a continued RUN: nothing.
    expect(await labels("FROM busybox\n# WO", 2, 5)).toEqual([]);
    expect(await labels("FROM busybox\nRUN a \\\n  WO", 3, 5)).toEqual([]);
  });

  describe("in FROM", () => {
    afterEach(() => vi.restoreAllMocks());

    it("never asks Docker Hub for image tags", async () => {
      const get = vi.spyOn(https, "get").mockImplementation(() => {
        throw new Error("no network in tests");
      });
      // The service itself would (the spy sees it) ...
      const service = DockerfileLanguageServiceFactory.createLanguageService();
      await service.computeCompletionItems("FROM busybox:", { line: 0, character: 13 });
      expect(get).toHaveBeenCalled();
      get.mockClear();
      // ... we do not ask it in FROM, also when FROM is continued or an ONBUILD trigger.
      expect(await labels("FROM busybox:", 1, 14)).toEqual([]);
      expect(await labels("FROM busybox:1", 1, 15)).toEqual([]);
      expect(await labels("FROM \\\n  busybox:", 2, 11)).toEqual([]);
      expect(await labels("FROM busybox\nONBUILD FROM busybox:", 2, 22)).toEqual([]);
      expect(get).not.toHaveBeenCalled();
    });
  });

  it("converts LSP items: kinds, text edits, snippets", () => {
    expect(completionKindName(14)).toBe("Keyword");
    expect(completionKindName(19)).toBe("Folder");
    expect(completionKindName(25)).toBe("TypeParameter");
    expect(completionKindName(undefined)).toBe("Text");
    expect(completionKindName(99)).toBe("Text");
    const edit = (sl: number, sc: number, el: number, ec: number) => ({ range: { start: { line: sl, character: sc }, end: { line: el, character: ec } }, newText: "x" });
    expect(fromLspCompletion({ label: "x", textEdit: edit(1, 2, 1, 4), insertTextFormat: 2, tags: [1] }, 2, 5)).toEqual({
      label: "x",
      kind: "Text",
      insertText: "x",
      snippet: true,
      deprecated: true,
      range: { startLineNumber: 2, startColumn: 3, endLineNumber: 2, endColumn: 5 },
    });
    // Monaco needs the range on the cursor's line, around the cursor.
    expect(fromLspCompletion({ label: "x", textEdit: edit(0, 2, 1, 4) }, 2, 5)).toBeNull();
    expect(fromLspCompletion({ label: "x", textEdit: edit(1, 2, 1, 3) }, 2, 5)).toBeNull();
    expect(fromLspCompletion({ label: "y" }, 2, 5)).toMatchObject({ insertText: "y", snippet: false, range: { startColumn: 5, endColumn: 5 } });
  });
});

describe("signature help", () => {
  it("shows the instruction's forms and the argument under the cursor", () => {
    const help = dockerfileSignatureHelp("FROM busybox\nEXPOSE ", 2, 8)!;
    expect(help.signatures[0]).toMatchObject({ label: "EXPOSE port ...", parameters: [{ label: "port" }, { label: "..." }] });
    expect(help.activeParameter).toBe(0);
    expect(dockerfileSignatureHelp("FROM busybox\nCOPY a ", 2, 8)!.activeParameter).toBe(3);
    expect(dockerfileSignatureHelp("FROM busybox\n", 2, 1)).toBeNull();
  });
});

describe("in the page", () => {
  it("work without Node's Buffer, and leave none behind", async () => {
    const g = globalThis as { Buffer?: unknown };
    const saved = g.Buffer;
    delete g.Buffer;
    try {
      const text = "\ufeffFROM busybox\nWORKDIR app\nARG V=1\nRUN echo $V";
      expect(lintDockerfile(text).map((d) => d.message)).toEqual(["WORKDIR paths should be absolute"]);
      expect(dockerfileHover("FROM busybox AS a\nFROM busybox\nCOPY --from=a /a /a\n", 3, 8)!.markdown).toContain("previous build stage");
      expect(await labels(text, 4, 12)).toEqual(["$V"]);
      expect(dockerfileSignatureHelp("FROM busybox\nEXPOSE ", 2, 8)).not.toBeNull();
      expect(g.Buffer).toBeUndefined();
      expect(() => withBuffer(() => { throw new Error("x"); })).toThrow("x");
      expect(g.Buffer).toBeUndefined();
    } finally {
      g.Buffer = saved;
    }
    // With Node's Buffer, it is left alone.
    expect(withBuffer(() => g.Buffer)).toBe(saved);
  });
});
