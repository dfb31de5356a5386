import { describe, expect, it } from "vitest";
import { CliError } from "../../../src/cli/errors.ts";
import { quoteWord, splitCommandLine, tokenize } from "../../../src/cli/tokenize.ts";

describe("splitCommandLine", () => {
  const cases: [string, string[]][] = [
    ["", []],
    ["   ", []],
    ["docker ps", ["docker", "ps"]],
    ["  docker   ps  -a ", ["docker", "ps", "-a"]],
    ["docker run -e 'A=b c' busybox", ["docker", "run", "-e", "A=b c", "busybox"]],
    [`echo "a \\"quoted\\" word"`, ["echo", 'a "quoted" word']],
    [`echo "keep \\n and \\$HOME"`, ["echo", "keep \\n and $HOME"]],
    [`echo 'no \\escapes "here"'`, ["echo", 'no \\escapes "here"']],
    ["echo a\\ b", ["echo", "a b"]],
    ["echo \\'x\\'", ["echo", "'x'"]],
    [`echo ab"cd"'ef'`, ["echo", "abcdef"]],
    ["echo '' \"\"", ["echo", "", ""]],
    ["echo $HOME ${X}", ["echo", "$HOME", "${X}"]],
    ["sh -c 'echo hi; exit 3'", ["sh", "-c", "echo hi; exit 3"]],
    ["docker ps # list them", ["docker", "ps"]],
    ["echo a#b", ["echo", "a#b"]],
    ["echo one\\\ntwo", ["echo", "onetwo"]],
    ["a\tb\nc", ["a", "b", "c"]],
  ];
  it.each(cases)("%j", (line, words) => {
    expect(splitCommandLine(line)).toEqual(words);
  });

  it("rejects unterminated quotes and a trailing backslash", () => {
    expect(() => splitCommandLine("echo 'abc")).toThrow(CliError);
    expect(() => splitCommandLine('echo "abc')).toThrow(/missing closing "/);
    expect(() => splitCommandLine("echo abc\\")).toThrow(CliError);
  });
});

describe("tokenize", () => {
  it("gives offsets and reports an open quote instead of throwing", () => {
    expect(tokenize("docker  run 'a b")).toEqual({
      tokens: [
        { value: "docker", start: 0, end: 6 },
        { value: "run", start: 8, end: 11 },
        { value: "a b", start: 12, end: 16 },
      ],
      open: "'",
    });
  });
});

describe("quoteWord", () => {
  it.each(["plain", "a b", "it's", "", "x=$y", "a\"b"])("round-trips %j", (w) => {
    expect(splitCommandLine(quoteWord(w))).toEqual([w]);
  });
  it("leaves safe words alone", () => {
    expect(quoteWord("busybox:latest")).toBe("busybox:latest");
  });
});
