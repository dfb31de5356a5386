// From text to logical lines, the way BuildKit reads a Dockerfile:
//  - parser directives (`# escape=`, `# syntax=`, `# check=`) only at the very
//    top, before any other line (a blank line, a comment or an instruction
//    ends them); keys are case-insensitive;
//  - whole-line comments (`#` after optional white space) are dropped, also
//    inside continuations; a `#` later in a line is not a comment;
//  - a line ending with the escape character (then optional blanks) continues
//    on the next line; blank lines inside a continuation are skipped (with a
//    warning, as Docker does);
//  - RUN, COPY and ADD (also under ONBUILD), in shell form, may start
//    heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`); their bodies follow the line.

import type { Diagnostic, Directive, Directives, Heredoc, Range } from "./types.ts";
import { LogicalLine, rangeOfLine } from "./source.ts";
import { heredocsFromLine, parseJsonArray, splitCommand } from "./words.ts";

export interface LexedInstruction {
  line: LogicalLine;
  /** Whole instruction, heredoc bodies included. */
  range: Range;
  heredocs: Heredoc[];
}

export interface LexResult {
  directives: Directives;
  instructions: LexedInstruction[];
  diagnostics: Diagnostic[];
}

const DIRECTIVE_RE = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const KNOWN_DIRECTIVES = new Set(["escape", "syntax", "check"]);

const trimLeft = (s: string): string => s.replace(/^\s+/u, "");
const isComment = (s: string): boolean => trimLeft(s).startsWith("#");
const isBlank = (s: string): boolean => trimLeft(s).length === 0;

export function splitLines(text: string): string[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export function lex(text: string): LexResult {
  const lines = splitLines(text);
  const diagnostics: Diagnostic[] = [];
  const directives: Directives = { escape: "\\", syntax: null, check: null, list: [] };
  const instructions: LexedInstruction[] = [];

  // Parser directives: leading lines that match and name a known directive.
  let i = 0;
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const m = DIRECTIVE_RE.exec(trimLeft(lines[i]!));
    if (!m) break;
    const name = m[1]!.toLowerCase();
    if (!KNOWN_DIRECTIVES.has(name)) break;
    const range = rangeOfLine(i + 1, lines[i]!);
    if (seen.has(name)) {
      diagnostics.push({ severity: "error", message: `only one ${name} parser directive can be used`, range });
      continue;
    }
    seen.add(name);
    const value = m[2]!;
    const d: Directive = { name, value, range };
    directives.list.push(d);
    if (name === "escape") {
      if (value !== "`" && value !== "\\") {
        diagnostics.push({ severity: "error", message: `invalid escape token '${value}' does not match \` or \\`, range });
      } else {
        directives.escape = value;
      }
    } else if (name === "syntax") directives.syntax = value;
    else directives.check = value;
  }

  const esc = directives.escape.replace(/[\\`]/g, "\\$&");
  const continuation = new RegExp(esc + "[ \\t]*$");
  const trimContinuation = (s: string): [string, boolean] => {
    const m = continuation.exec(s);
    return m ? [s.slice(0, m.index), false] : [s, true];
  };

  while (i < lines.length) {
    const raw = lines[i]!;
    const lineNo = ++i;
    if (isComment(raw) || isBlank(raw)) continue;
    const lead = raw.length - trimLeft(raw).length;
    const logical = new LogicalLine();
    const [first, firstEnd] = trimContinuation(raw.slice(lead));
    let isEnd = firstEnd;
    logical.append(first, lineNo, lead + 1);
    let endLine = lineNo;
    while (!isEnd && i < lines.length) {
      const next = lines[i]!;
      const n = ++i;
      endLine = n;
      if (isComment(next)) continue;
      if (isBlank(next)) {
        diagnostics.push({
          severity: "warning",
          code: "EmptyContinuationLine",
          message: "Empty continuation line found: empty continuation lines will become errors in a future release",
          range: rangeOfLine(n, next),
        });
        continue;
      }
      const [part, end] = trimContinuation(next);
      isEnd = end;
      logical.append(part, n, 1);
    }

    if (logical.text.trim() === "") continue; // only escape characters
    const start = logical.position(0);
    const heredocs: Heredoc[] = [];
    if (logical.text.includes("<<") && mayHaveHeredocs(logical.text)) {
      for (const h of heredocsFromLine(logical.text)) {
        let content = "";
        let terminated = false;
        while (i < lines.length) {
          const body = lines[i]!;
          endLine = ++i;
          const candidate = h.chomp ? body.replace(/^\t+/, "") : body;
          if (candidate === h.name) {
            terminated = true;
            break;
          }
          content += body + "\n";
        }
        if (!terminated) {
          diagnostics.push({
            severity: "error",
            message: `unterminated heredoc: no line "${h.name}" ends the heredoc started on line ${start.line}`,
            range: { start, end: { line: endLine, column: (lines[endLine - 1] ?? "").length + 1 } },
          });
        }
        heredocs.push({ name: h.name, content, chomp: h.chomp, expand: h.expand });
      }
    }
    instructions.push({
      line: logical,
      range: { start, end: { line: endLine, column: lines[endLine - 1]!.length + 1 } },
      heredocs,
    });
  }
  return { directives, instructions, diagnostics };
}

/** RUN, COPY, ADD (or ONBUILD of one) in shell form: the instructions that take heredocs. */
function mayHaveHeredocs(text: string): boolean {
  let sc = splitCommand(text, 0, text.length);
  let kw = sc.keyword.text.toLowerCase();
  if (kw === "onbuild" && sc.args) {
    sc = splitCommand(text, sc.args.start, sc.args.end);
    kw = sc.keyword.text.toLowerCase();
  }
  if (kw !== "run" && kw !== "copy" && kw !== "add") return false;
  return !(sc.args && parseJsonArray(sc.args.text).ok);
}
