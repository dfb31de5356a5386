import { describe, expect, it } from "vitest";
import { cleanPath, dockerignoreMatcher, DockerignoreMatcher, parseDockerignore } from "../../../src/dockerfile/dockerignore.ts";

describe("cleanPath (Go's path.Clean)", () => {
  it.each([
    ["", "."],
    [".", "."],
    ["./a", "a"],
    ["a//b/", "a/b"],
    ["a/./b/../c", "a/c"],
    ["../a", "../a"],
    ["a/../..", ".."],
    ["/", "/"],
    ["/../a", "/a"],
    ["//a/b/", "/a/b"],
  ])("%j -> %j", (p, want) => expect(cleanPath(p)).toBe(want));
});

describe("parseDockerignore", () => {
  it("skips comments and blank lines, trims, cleans and drops a leading slash", () => {
    const text = [
      "\uFEFF# comment",
      "",
      "   ",
      "  node_modules  ",
      "./build/",
      "/dist",
      "a//b/../c",
      "!./keep.txt",
      "! spaced",
      " # not a comment",
      "/",
      "*.log\r",
    ].join("\n");
    expect(parseDockerignore(text)).toEqual([
      "node_modules",
      "build",
      "dist",
      "a/c",
      "!keep.txt",
      "!spaced",
      "# not a comment",
      "/",
      "*.log",
    ]);
  });
});

const ignored = (patterns: string, paths: string[]) => {
  const m = dockerignoreMatcher(patterns);
  return paths.filter((p) => m.ignores(p));
};

describe("DockerignoreMatcher", () => {
  it("matches at the context root only, unless ** is used", () => {
    expect(ignored("*.md", ["README.md", "docs/README.md", "a.mdx"])).toEqual(["README.md"]);
    expect(ignored("**/*.md", ["README.md", "docs/README.md", "a/b/c.md", "c.txt"])).toEqual([
      "README.md",
      "docs/README.md",
      "a/b/c.md",
    ]);
    expect(ignored("*/temp*", ["x/temporary", "temp", "x/y/temp"])).toEqual(["x/temporary"]);
  });

  it("a pattern that matches a directory ignores what is under it", () => {
    expect(ignored("node_modules", ["node_modules", "node_modules/x/y.js", "src/node_modules/z"])).toEqual([
      "node_modules",
      "node_modules/x/y.js",
    ]);
    expect(ignored("**/node_modules", ["node_modules/a", "src/node_modules/z", "nm"])).toEqual([
      "node_modules/a",
      "src/node_modules/z",
    ]);
  });

  it("? is one character but not a slash, [] is a class, \\ escapes", () => {
    expect(ignored("temp?", ["temp1", "temp12", "temp", "temp/x"])).toEqual(["temp1"]);
    expect(ignored("[a-c].txt", ["a.txt", "c.txt", "d.txt"])).toEqual(["a.txt", "c.txt"]);
    expect(ignored("[^a].txt", ["a.txt", "b.txt"])).toEqual(["b.txt"]);
    expect(ignored("\\*.txt", ["*.txt", "a.txt"])).toEqual(["*.txt"]);
    expect(ignored("a+b(c).txt", ["a+b(c).txt", "aab(c).txt"])).toEqual(["a+b(c).txt"]);
  });

  it("** forms", () => {
    expect(ignored("**", ["a", "a/b", ".dockerignore"])).toEqual(["a", "a/b", ".dockerignore"]);
    expect(ignored("foo/**", ["foo", "foo/bar", "foo/bar/baz"])).toEqual(["foo/bar", "foo/bar/baz"]);
    expect(ignored("a/**/b", ["a/b", "a/x/b", "a/x/y/b", "a/xb", "b"])).toEqual(["a/b", "a/x/b", "a/x/y/b"]);
    expect(ignored("**/foo", ["foo", "a/foo", "a/b/foo/c", "barfoo"])).toEqual(["foo", "a/foo", "a/b/foo/c"]);
  });

  it("! re-includes, and the last matching pattern wins", () => {
    expect(ignored("*.md\n!README.md", ["README.md", "CHANGES.md"])).toEqual(["CHANGES.md"]);
    expect(ignored("!README.md\n*.md", ["README.md", "CHANGES.md"])).toEqual(["README.md", "CHANGES.md"]);
    expect(ignored("docs\n!docs/keep.md", ["docs/a.md", "docs/keep.md"])).toEqual(["docs/a.md"]);
    expect(ignored("*\n!src\nsrc/*.tmp", ["a", "src/x.ts", "src/y.tmp", "Dockerfile"])).toEqual([
      "a",
      "src/y.tmp",
      "Dockerfile",
    ]);
  });

  it("patterns written as /x, ./x or x/ mean x at the root", () => {
    expect(ignored("/secret\n./tmp/\nlogs/", ["secret", "tmp/a", "logs", "logs/x", "a/secret"])).toEqual([
      "secret",
      "tmp/a",
      "logs",
      "logs/x",
    ]);
  });

  it("accepts paths given with ./ or a leading slash", () => {
    const m = dockerignoreMatcher("build");
    expect(m.ignores("./build/out")).toBe(true);
    expect(m.ignores("/build")).toBe(true);
  });

  it("says when there are exclusions", () => {
    expect(dockerignoreMatcher("a\n!b").hasExclusions).toBe(true);
    expect(dockerignoreMatcher("a").hasExclusions).toBe(false);
  });

  it("rejects bad patterns", () => {
    expect(() => new DockerignoreMatcher(["!"])).toThrow('illegal exclusion pattern: "!"');
    expect(() => new DockerignoreMatcher(["a[b"])).toThrow("syntax error in pattern");
    expect(() => dockerignoreMatcher("!")).toThrow('illegal exclusion pattern: "!"');
  });
});
