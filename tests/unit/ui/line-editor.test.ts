import { describe, expect, it } from "vitest";
import { LineEditor, formatColumns, visibleWidth } from "../../../src/ui/line-editor.ts";

function editor(opts: { history?: string[]; columns?: number } = {}) {
  let out = "";
  const ed = new LineEditor({ write: (d) => (out += d), columns: () => opts.columns ?? 80, history: opts.history });
  ed.start("$ ");
  return {
    ed,
    output: () => out,
    clearOutput: () => (out = ""),
  };
}

describe("LineEditor", () => {
  it("inserts text, moves with arrows, Home/End, Ctrl-A/E, and edits in the middle", () => {
    const { ed } = editor();
    ed.feed("docker ps");
    expect(ed.line).toBe("docker ps");
    ed.feed("\x1b[D\x1b[D"); // left twice
    ed.feed("X");
    expect(ed.line).toBe("docker Xps");
    ed.feed("\x01"); // Ctrl-A
    expect(ed.cursorIndex).toBe(0);
    ed.feed("\x1b[3~"); // Delete
    expect(ed.line).toBe("ocker Xps");
    ed.feed("d\x05"); // Ctrl-E
    expect(ed.cursorIndex).toBe(ed.line.length);
    ed.feed("\x7f\x7f\x7f\x7f"); // Backspace
    expect(ed.line).toBe("docker");
  });

  it("kills to the start (Ctrl-U), to the end (Ctrl-K) and a word (Ctrl-W)", () => {
    const { ed } = editor();
    ed.feed("docker run --rm busybox");
    ed.feed("\x17");
    expect(ed.line).toBe("docker run --rm ");
    ed.feed("\x1b[1;5D"); // Ctrl-Left
    expect(ed.cursorIndex).toBe("docker run ".length);
    ed.feed("\x0b");
    expect(ed.line).toBe("docker run ");
    ed.feed("\x15");
    expect(ed.line).toBe("");
  });

  it("stops at Enter, Tab, Ctrl-C, Ctrl-L and Ctrl-D on an empty line, and says how much it used", () => {
    const { ed } = editor();
    expect(ed.feed("docker images\rdocker ps\r")).toEqual({ used: 14, action: { type: "submit", line: "docker images" } });
    expect(ed.feed("\r\n").used).toBe(2);
    const e2 = editor().ed;
    e2.feed("docker ru");
    expect(e2.feed("\t")).toEqual({ used: 1, action: { type: "complete", line: "docker ru", cursor: 9 } });
    expect(e2.feed("\x03").action).toEqual({ type: "interrupt" });
    expect(e2.feed("\x0c").action).toEqual({ type: "clear" });
    expect(e2.feed("\x04").action).toBeUndefined(); // not empty: deletes under the cursor
    e2.feed("\x15");
    expect(e2.feed("\x04").action).toEqual({ type: "eof" });
  });

  it("browses the history with up/down (and Ctrl-P/N), keeping the line being typed", () => {
    const { ed } = editor({ history: ["docker images", "docker ps -a"] });
    ed.feed("docker v");
    ed.feed("\x1b[A");
    expect(ed.line).toBe("docker ps -a");
    ed.feed("\x10");
    expect(ed.line).toBe("docker images");
    ed.feed("\x1b[B\x1b[B");
    expect(ed.line).toBe("docker v");
    ed.addHistory("docker volume ls");
    ed.addHistory("docker volume ls");
    ed.addHistory("   ");
    expect(ed.history).toEqual(["docker images", "docker ps -a", "docker volume ls"]);
  });

  it("ignores unknown escape sequences and control characters", () => {
    const { ed } = editor();
    ed.feed("a\x1b[15~b\x1b[200~c\x07d");
    expect(ed.line).toBe("abcd");
  });

  it("completes: the only candidate with a space, the common prefix, or a list", () => {
    const { ed, output, clearOutput } = editor();
    ed.feed("docker ru");
    ed.applyCompletion({ start: 7, end: 9, candidates: ["run"] });
    expect(ed.line).toBe("docker run ");
    ed.feed("--net");
    ed.applyCompletion({ start: 11, end: 16, candidates: ["--network", "--network-alias"] });
    expect(ed.line).toBe("docker run --network");
    clearOutput();
    ed.applyCompletion({ start: 11, end: 20, candidates: ["--network", "--network-alias"] });
    expect(ed.line).toBe("docker run --network");
    expect(output()).toMatch(/\r\n--network +--network-alias\r\n/);
    clearOutput();
    ed.applyCompletion({ start: 0, end: 0, candidates: [] });
    expect(output()).toBe("\x07");
  });

  it("redraws a line that wraps: back up to the prompt's row, then to the cursor's row and column", () => {
    const { ed, output, clearOutput } = editor({ columns: 10 });
    ed.feed("12345678"); // prompt 2 + 8 = 10: exactly at the margin
    expect(output().endsWith("$ 12345678\r\n\r")).toBe(true);
    clearOutput();
    ed.feed("9"); // 11 cells: cursor on row 1, column 1
    expect(output()).toBe("\x1b[1A\r\x1b[J$ 123456789\r\x1b[1C");
    clearOutput();
    ed.feed("\x01"); // to the start: row 0, column 2
    expect(output()).toBe("\x1b[1A\r\x1b[J$ 123456789\x1b[1A\r\x1b[2C");
  });
});

describe("helpers", () => {
  it("measures text without ANSI colours", () => {
    expect(visibleWidth("\x1b[1;32m$\x1b[0m ")).toBe(2);
  });
  it("lays candidates out in columns, down then across", () => {
    expect(formatColumns(["a", "bb", "ccc", "d"], 12)).toEqual(["a    ccc", "bb   d"]);
  });
});
