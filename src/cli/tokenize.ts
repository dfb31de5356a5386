// A shell-like word splitter for the terminal: `docker run -e 'A=b c' x`.
//
// POSIX sh quoting without expansion: blanks separate words; '...' keeps
// everything literally; "..." keeps everything but lets \ escape " \ $ `
// and a newline; outside quotes \ escapes any character (and \<newline>
// joins lines); an unquoted # at the start of a word starts a comment.
// No $VAR, globs, pipes or redirections: the CLI gets the words as typed.

import { CliError } from "./errors.ts";

export interface Token {
  /** The word after quote removal. */
  value: string;
  /** Offsets of the word in the line (start inclusive, end exclusive). */
  start: number;
  end: number;
}

export interface TokenizeResult {
  tokens: Token[];
  /** Set when the line ends inside quotes or after a backslash (more input is needed). */
  open?: "'" | '"' | "\\";
}

const BLANK = /[ \t\n\r]/;

/** Splits `line` into words and reports an unterminated quote instead of throwing. */
export function tokenize(line: string): TokenizeResult {
  const tokens: Token[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && BLANK.test(line[i]!)) i++;
    if (i >= n) break;
    if (line[i] === "#") break; // comment to the end of the line
    const start = i;
    let value = "";
    while (i < n && !BLANK.test(line[i]!)) {
      const ch = line[i]!;
      if (ch === "\\") {
        if (i + 1 >= n) {
          tokens.push({ value, start, end: n });
          return { tokens, open: "\\" };
        }
        if (line[i + 1] !== "\n") value += line[i + 1];
        i += 2;
      } else if (ch === "'") {
        const close = line.indexOf("'", i + 1);
        if (close < 0) {
          tokens.push({ value: value + line.slice(i + 1), start, end: n });
          return { tokens, open: "'" };
        }
        value += line.slice(i + 1, close);
        i = close + 1;
      } else if (ch === '"') {
        i++;
        let closed = false;
        while (i < n) {
          const c = line[i]!;
          if (c === '"') {
            closed = true;
            i++;
            break;
          }
          if (c === "\\" && i + 1 < n && '"\\$`\n'.includes(line[i + 1]!)) {
            if (line[i + 1] !== "\n") value += line[i + 1];
            i += 2;
            continue;
          }
          value += c;
          i++;
        }
        if (!closed) {
          tokens.push({ value, start, end: n });
          return { tokens, open: '"' };
        }
      } else {
        value += ch;
        i++;
      }
    }
    tokens.push({ value, start, end: i });
  }
  return { tokens };
}

/** Splits a command line into words; throws a CliError on an unterminated quote or trailing backslash. */
export function splitCommandLine(line: string): string[] {
  const { tokens, open } = tokenize(line);
  if (open === "'" || open === '"') throw new CliError(`unterminated quoted string: missing closing ${open}`, 2);
  if (open === "\\") throw new CliError("unexpected end of line after \\", 2);
  return tokens.map((t) => t.value);
}

/** Quotes a word so that splitCommandLine gives it back (for completion and messages). */
export function quoteWord(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return "'" + word.replace(/'/g, `'\\''`) + "'";
}
