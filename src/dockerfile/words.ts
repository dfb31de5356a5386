// Line-level splitting, following BuildKit's parser (frontend/dockerfile/parser):
// keyword, leading --flags, and the per-instruction argument splitters. Every
// token keeps its offsets in the logical line so errors can point at it.

import { processWord } from "./expand.ts";

export interface Token {
  text: string;
  start: number;
  end: number;
}

const WS = /[\t\v\f\r ]/; // Docker's reWhitespace
const isUnicodeSpace = (ch: string): boolean => /^\s$/u.test(ch);

export function trimSpan(s: string, from: number, to: number): [number, number] {
  while (from < to && isUnicodeSpace(s[from]!)) from++;
  while (to > from && isUnicodeSpace(s[to - 1]!)) to--;
  return [from, to];
}

export interface SplitCommand {
  keyword: Token;
  flags: Token[];
  /** The rest after the flags, trimmed; null when empty. */
  args: Token | null;
}

/** Splits `KEYWORD --flag... args` in s[from, to). */
export function splitCommand(s: string, from: number, to: number): SplitCommand {
  [from, to] = trimSpan(s, from, to);
  let k = from;
  while (k < to && !WS.test(s[k]!)) k++;
  const keyword = { text: s.slice(from, k), start: from, end: k };
  let p = k;
  while (p < to && WS.test(s[p]!)) p++;
  if (p >= to) return { keyword, flags: [], args: null };
  const { flags, restStart } = extractBuilderFlags(s, p, to);
  const [a, b] = trimSpan(s, restStart, to);
  return { keyword, flags, args: a < b ? { text: s.slice(a, b), start: a, end: b } : null };
}

/** Leading `--name[=value]` words; quotes and backslashes are processed in them. */
export function extractBuilderFlags(s: string, from: number, to: number): { flags: Token[]; restStart: number } {
  const flags: Token[] = [];
  let phase: "spaces" | "word" | "quote" = "spaces";
  let word = "";
  let wordStart = from;
  let quote = "";
  let blankOK = false;
  for (let pos = from; pos <= to; pos++) {
    const ch = pos < to ? s[pos]! : "";
    if (phase === "spaces") {
      if (pos === to) break;
      if (isUnicodeSpace(ch)) continue;
      if (ch !== "-" || pos + 1 === to || s[pos + 1] !== "-") return { flags, restStart: pos };
      phase = "word";
      wordStart = pos;
    }
    if (pos === to) {
      if (word !== "--" && (blankOK || word.length > 0)) flags.push({ text: word, start: wordStart, end: pos });
      break;
    }
    if (phase === "word") {
      if (isUnicodeSpace(ch)) {
        phase = "spaces";
        if (word === "--") return { flags, restStart: pos };
        if (blankOK || word.length > 0) flags.push({ text: word, start: wordStart, end: pos });
        word = "";
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = "quote";
        continue;
      }
      let c = ch;
      if (c === "\\") {
        if (pos + 1 === to) continue;
        c = s[++pos]!;
      }
      word += c;
      continue;
    }
    // in quote
    if (ch === quote) {
      phase = "word";
      continue;
    }
    let c = ch;
    if (c === "\\") {
      if (pos + 1 === to) {
        phase = "word";
        continue;
      }
      c = s[++pos]!;
    }
    word += c;
  }
  return { flags, restStart: to };
}

/** Splits on Docker's white space (no quote handling): FROM, EXPOSE, plain COPY/ADD/VOLUME. */
export function splitWhitespace(s: string, from: number, to: number): Token[] {
  const out: Token[] = [];
  let i = from;
  while (i < to) {
    while (i < to && WS.test(s[i]!)) i++;
    if (i >= to) break;
    const start = i;
    while (i < to && !WS.test(s[i]!)) i++;
    out.push({ text: s.slice(start, i), start, end: i });
  }
  return out;
}

/**
 * Splits into words on white space outside quotes, keeping the quotes and
 * escapes in the words (they are removed later by expansion): ARG, ENV, LABEL.
 */
export function parseWords(s: string, from: number, to: number, escape: string): Token[] {
  const words: Token[] = [];
  let phase: "spaces" | "word" | "quote" = "spaces";
  let word = "";
  let wordStart = from;
  let quote = "";
  let blankOK = false;
  for (let pos = from; pos <= to; pos++) {
    const atEnd = pos === to;
    let ch = atEnd ? "" : s[pos]!;
    if (phase === "spaces") {
      if (atEnd) break;
      if (isUnicodeSpace(ch)) continue;
      phase = "word";
      wordStart = pos;
    }
    if (atEnd) {
      if (blankOK || word.length > 0) words.push({ text: word, start: wordStart, end: pos });
      break;
    }
    if (phase === "word") {
      if (isUnicodeSpace(ch)) {
        phase = "spaces";
        if (blankOK || word.length > 0) words.push({ text: word, start: wordStart, end: pos });
        word = "";
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = "quote";
      }
      if (ch === escape) {
        if (pos + 1 === to) continue; // an escape at the end of the line is dropped
        word += ch;
        ch = s[++pos]!;
      }
      word += ch;
      continue;
    }
    // in quote
    if (ch === quote) phase = "word";
    if (ch === escape && quote !== "'") {
      if (pos + 1 === to) {
        phase = "word";
        continue;
      }
      word += ch;
      ch = s[++pos]!;
    }
    word += ch;
  }
  return words;
}

export type JsonArgs = { ok: true; values: string[] } | { ok: false; notStrings: boolean };

/** Docker's exec form: a JSON array of strings. `notStrings` when it is JSON but not all strings. */
export function parseJsonArray(text: string): JsonArgs {
  const t = text.replace(/^\s+/u, "");
  if (!t.startsWith("[")) return { ok: false, notStrings: false };
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch {
    return { ok: false, notStrings: false };
  }
  if (!Array.isArray(value)) return { ok: false, notStrings: false };
  if (!value.every((v) => typeof v === "string")) return { ok: false, notStrings: true };
  return { ok: true, values: value as string[] };
}

export interface HeredocWord {
  name: string;
  chomp: boolean;
  expand: boolean;
}

const HEREDOC_RE = /^(\d*)<<(-?)([^<]*)$/;

/** Parses one word as a heredoc start (`<<EOF`, `<<-"EOF"`, `3<<EOF`), or returns null. */
export function parseHeredocWord(word: string): HeredocWord | null {
  const m = HEREDOC_RE.exec(word);
  if (!m) return null;
  const chomp = m[2] === "-";
  const rest = m[3]!;
  if (rest.length === 0) return null;
  const words = processWord(rest, {}, { skipUnsetEnv: true }).words;
  if (words.length !== 1) return null;
  const raw = processWord(rest, {}, { skipUnsetEnv: true, rawQuotes: true }).words;
  const quotes = (w: string): number => (w.match(/['"]/g) ?? []).length;
  return { name: words[0]!, chomp, expand: quotes(words[0]!) === quotes(raw[0] ?? "") };
}

/** The heredocs started on a line, in order (BuildKit's heredocsFromLine). */
export function heredocsFromLine(line: string): HeredocWord[] {
  let words: string[];
  try {
    words = processWord(line, {}, { rawQuotes: true, rawEscapes: true }).words;
  } catch {
    return []; // BuildKit ignores lexing errors here: no heredocs
  }
  const out: HeredocWord[] = [];
  for (const w of words) {
    const h = parseHeredocWord(w);
    if (h) out.push(h);
  }
  return out;
}
