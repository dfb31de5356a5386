import { describe, expect, it } from "vitest";
import { expandWord, expandWords, processWord } from "../../../src/dockerfile/expand.ts";

const env = { FOO: "bar", EMPTY: "", SPACED: "e f", PATHLIKE: "/usr/local/bin/tool.tar.gz" };
const x = (w: string, opts = {}) => expandWord(w, env, opts);

describe("expandWord: plain references", () => {
  it.each([
    ["$FOO", "bar"],
    ["${FOO}", "bar"],
    ["pre${FOO}post", "prebarpost"],
    ["$FOO.txt", "bar.txt"],
    ["$FOObaz", ""], // the name runs on: FOObaz is unset
    ["${FOO}baz", "barbaz"],
    ["$MISSING", ""],
    ["${MISSING}", ""],
    ["a$", "a$"],
    ["$", "$"],
    ["$1", ""],
    ["$$", ""],
    ["100%", "100%"],
  ])("%s -> %s", (word, want) => expect(x(word)).toBe(want));
});

describe("expandWord: modifiers", () => {
  it.each([
    ["${FOO:-def}", "bar"],
    ["${MISSING:-def}", "def"],
    ["${EMPTY:-def}", "def"],
    ["${FOO-def}", "bar"],
    ["${MISSING-def}", "def"],
    ["${EMPTY-def}", ""],
    ["${FOO:+alt}", "alt"],
    ["${MISSING:+alt}", ""],
    ["${EMPTY:+alt}", ""],
    ["${FOO+alt}", "alt"],
    ["${EMPTY+alt}", "alt"],
    ["${MISSING+alt}", ""],
    ["${EMPTY?}", ""],
    ["${FOO:?}", "bar"],
    ["${MISSING:-$FOO}", "bar"],
    ["${MISSING:-${EMPTY:-deep}}", "deep"],
    ['${MISSING:-"a b"}', "a b"],
    ["${MISSING:-a\\}b}", "a}b"],
  ])("%s -> %s", (word, want) => expect(x(word)).toBe(want));

  it("pattern removal and replacement", () => {
    expect(x("${PATHLIKE#*/}")).toBe("usr/local/bin/tool.tar.gz");
    expect(x("${PATHLIKE##*/}")).toBe("tool.tar.gz");
    expect(x("${PATHLIKE%.*}")).toBe("/usr/local/bin/tool.tar");
    expect(x("${PATHLIKE%%.*}")).toBe("/usr/local/bin/tool");
    expect(x("${PATHLIKE/local/opt}")).toBe("/usr/opt/bin/tool.tar.gz");
    expect(x("${PATHLIKE//\\//_}")).toBe("_usr_local_bin_tool.tar.gz");
    expect(x("${FOO#nomatch}")).toBe("bar");
  });

  it.each([
    ["${MISSING:?}", "MISSING: is not allowed to be unset"],
    ["${MISSING?}", "MISSING: is not allowed to be unset"],
    ["${MISSING:?set MISSING please}", "MISSING: set MISSING please"],
    ["${EMPTY:?}", "EMPTY: is not allowed to be empty"],
    ["${EMPTY:?must not be empty}", "EMPTY: must not be empty"],
    ["${FOO", "syntax error: missing '}'"],
    ["${FOO:-x", "syntax error: missing '}'"],
    ["${}", "syntax error: bad substitution"],
    ["${:-x}", "syntax error: bad substitution"],
    ["${FOO:x}", "unsupported modifier (x) in substitution"],
    ["${FOO BAR}", "unsupported modifier ( ) in substitution"],
    ["'open", "unexpected end of statement while looking for matching single-quote"],
    ['"open', "unexpected end of statement while looking for matching double-quote"],
  ])("%s fails: %s", (word, message) => {
    expect(() => x(word)).toThrow(message);
    try {
      x(word);
    } catch (err) {
      expect((err as { kind: string }).kind).toBe("invalid-argument");
      expect((err as Error).message).toBe(`failed to process ${JSON.stringify(word)}: ${message}`);
    }
  });
});

describe("expandWord: quotes and escapes", () => {
  it.each([
    ["'$FOO'", "$FOO"],
    ['"$FOO"', "bar"],
    ['"${FOO}s"', "bars"],
    ["\\$FOO", "$FOO"],
    ['"\\$FOO"', "$FOO"],
    ["'a\\b'", "a\\b"],
    ['"a\\"b"', 'a"b'],
    ['"a\\b"', "a\\b"],
    ['"a\\\\b"', "a\\b"],
    ["a\\ b", "a b"],
    ["a\\", "a"],
    ["'it''s'", "its"],
    ["\"it's\"", "it's"],
    ["'say \"hi\"'", 'say "hi"'],
    ["hello   world", "hello   world"],
    ['""', ""],
  ])("%s -> %s", (word, want) => expect(x(word)).toBe(want));

  it("honours a backtick escape character", () => {
    expect(x("`$FOO", { escape: "`" })).toBe("$FOO");
    expect(x("C:\\dir\\$FOO", { escape: "`" })).toBe("C:\\dir\\bar");
    expect(x('"a`"b"', { escape: "`" })).toBe('a"b');
  });

  it("keeps quotes and escapes when asked (raw modes)", () => {
    expect(x('"$FOO" \'x\'', { rawQuotes: true })).toBe('"bar" \'x\'');
    expect(x("a\\ b", { rawEscapes: true })).toBe("a\\ b");
  });

  it("leaves unset references as written with skipUnsetEnv", () => {
    expect(x("$MISSING ${MISSING} ${MISSING:-d} $FOO", { skipUnsetEnv: true })).toBe("$MISSING ${MISSING} ${MISSING:-d} bar");
  });

  it("treats quotes as text with skipProcessQuotes (heredoc bodies)", () => {
    expect(x('echo "hello ${FOO}" \'$FOO\'', { skipProcessQuotes: true })).toBe("echo \"hello bar\" 'bar'");
  });

  it("accepts a Map or a function as the environment", () => {
    expect(expandWord("$A-$B", new Map([["A", "1"], ["B", "2"]]))).toBe("1-2");
    expect(expandWord("$A", (n) => (n === "A" ? "fn" : undefined))).toBe("fn");
  });

  it("reports the names it could not find", () => {
    expect(processWord("$FOO ${NOPE:-x} $ALSO", env).unmatched).toEqual(["NOPE", "ALSO"]);
  });
});

describe("expandWords: word splitting", () => {
  it.each([
    ["a b  c", ["a", "b", "c"]],
    ['a "b c" d', ["a", "b c", "d"]],
    ["$SPACED g", ["e", "f", "g"]],
    ['"$SPACED" g', ["e f", "g"]],
    ["x$SPACED", ["xe", "f"]],
    ["a\\ b c", ["a b", "c"]],
    ["'' a", ["a"]],
    ["   ", []],
    ["80/tcp $EMPTY 443", ["80/tcp", "443"]],
  ])("%s -> %j", (word, want) => expect(expandWords(word, env)).toEqual(want));
});
