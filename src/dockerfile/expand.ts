// Variable expansion and word processing, as Docker's shell lexer does it
// (BuildKit frontend/dockerfile/shell). This is not a shell: it only knows
// quotes, the escape character and $ substitutions.
//
//   $VAR ${VAR}           value, or "" when unset
//   ${VAR:-word}          word when VAR is unset or empty
//   ${VAR-word}           word when VAR is unset
//   ${VAR:+word}          word when VAR is set and not empty, else ""
//   ${VAR+word}           word when VAR is set (even empty), else ""
//   ${VAR:?msg} ${VAR?msg} error when unset (or, with ':', empty)
//   ${VAR#pat} ${VAR##pat} ${VAR%pat} ${VAR%%pat}  remove a prefix/suffix glob
//   ${VAR/pat/repl} ${VAR//pat/repl}                replace the first/all matches
//   'single'              literal, no escapes, no expansion
//   "double"              expansion; the escape char escapes only " $ and itself
//   \x (unquoted)         x, literally (\$ gives $)
//
// `expandWord` keeps the result as one string (most instructions);
// `expandWords` splits it into words on unquoted white space (EXPOSE).

import { BerthError } from "../core/errors.ts";

export type EnvLookup = Record<string, string> | Map<string, string> | ((name: string) => string | undefined);

export interface LexOptions {
  /** The escape character: "\\" (default) or "`" (from `# escape=`). */
  escape?: string;
  /** Keep quote characters in the result (still honouring their meaning). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written. */
  skipUnsetEnv?: boolean;
  /** Treat quotes as ordinary characters (used for heredoc bodies). */
  skipProcessQuotes?: boolean;
}

export interface ExpandResult {
  value: string;
  words: string[];
  /** Names referenced but not set. */
  unmatched: string[];
}

/** Expands `word` as one word (quotes removed, white space kept). Throws BerthError on bad syntax or ${X:?}. */
export function expandWord(word: string, env: EnvLookup, options: LexOptions = {}): string {
  return process(word, env, options).value;
}

/** Expands `word` and splits it into words on unquoted white space. */
export function expandWords(word: string, env: EnvLookup, options: LexOptions = {}): string[] {
  return process(word, env, options).words;
}

/** Both results and the names that were referenced but unset. */
export function processWord(word: string, env: EnvLookup, options: LexOptions = {}): ExpandResult {
  return process(word, env, options);
}

function toLookup(env: EnvLookup): (name: string) => string | undefined {
  if (typeof env === "function") return env;
  if (env instanceof Map) return (name) => env.get(name);
  return (name) => (Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined);
}

function process(word: string, env: EnvLookup, options: LexOptions): ExpandResult {
  const sw = new ShellWord(word, toLookup(env), options);
  try {
    const { result, words } = sw.processStopOn(undefined, sw.rawEscapes);
    return { value: result, words: words.get(), unmatched: [...sw.unmatched] };
  } catch (err) {
    if (err instanceof LexError) {
      throw new BerthError("invalid-argument", `failed to process ${JSON.stringify(word)}: ${err.message}`);
    }
    throw err;
  }
}

class LexError extends Error {}

const isSpace = (ch: string): boolean => /^\s$/u.test(ch);
const isDigit = (ch: string): boolean => /^\p{Nd}$/u.test(ch);
const isNameChar = (ch: string): boolean => /^[\p{L}\p{Nd}_]$/u.test(ch);
const isSpecialParam = (ch: string): boolean => "@*#?-$!0".includes(ch);

/** Collects words the way BuildKit does: expanded text splits, quoted text does not. */
class Words {
  private word = "";
  private words: string[] = [];
  private inWord = false;

  addChar(ch: string): void {
    if (isSpace(ch) && this.inWord) {
      if (this.word.length !== 0) {
        this.words.push(this.word);
        this.word = "";
        this.inWord = false;
      }
    } else if (!isSpace(ch)) {
      this.addRawChar(ch);
    }
  }

  addRawChar(ch: string): void {
    this.word += ch;
    this.inWord = true;
  }

  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }

  addRawString(s: string): void {
    this.word += s;
    this.inWord = true;
  }

  get(): string[] {
    if (this.word.length > 0) {
      this.words.push(this.word);
      this.word = "";
      this.inWord = false;
    }
    return this.words;
  }
}

class ShellWord {
  private pos = 0;
  readonly escape: string;
  readonly rawQuotes: boolean;
  readonly rawEscapes: boolean;
  readonly skipUnset: boolean;
  readonly skipQuotes: boolean;
  readonly unmatched = new Set<string>();

  constructor(
    private readonly src: string,
    private readonly lookup: (name: string) => string | undefined,
    o: LexOptions,
  ) {
    this.escape = o.escape ?? "\\";
    this.rawQuotes = o.rawQuotes ?? false;
    this.rawEscapes = o.rawEscapes ?? false;
    this.skipUnset = o.skipUnsetEnv ?? false;
    this.skipQuotes = o.skipProcessQuotes ?? false;
  }

  private peek(): string | undefined {
    return this.pos < this.src.length ? this.src[this.pos] : undefined;
  }

  private next(): string | undefined {
    return this.pos < this.src.length ? this.src[this.pos++] : undefined;
  }

  private getEnv(name: string): { value: string; found: boolean } {
    const v = this.lookup(name);
    if (v === undefined) {
      this.unmatched.add(name);
      return { value: "", found: false };
    }
    return { value: v, found: true };
  }

  processStopOn(stop: string | undefined, rawEscapes: boolean): { result: string; words: Words } {
    let result = "";
    const words = new Words();
    while (this.peek() !== undefined) {
      const ch = this.peek()!;
      if (stop !== undefined && ch === stop) {
        this.next();
        return { result, words };
      }
      if (ch === "$" || (!this.skipQuotes && (ch === "'" || ch === '"'))) {
        const tmp = ch === "$" ? this.processDollar() : ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
        result += tmp;
        if (ch === "$") words.addString(tmp);
        else words.addRawString(tmp);
        continue;
      }
      let c = this.next()!;
      if (c === this.escape) {
        if (rawEscapes) {
          words.addRawChar(c);
          result += c;
        }
        const n = this.next();
        if (n === undefined) break;
        c = n;
        words.addRawChar(c);
      } else {
        words.addChar(c);
      }
      result += c;
    }
    if (stop !== undefined) throw new LexError(`unexpected end of statement while looking for matching ${stop}`);
    return { result, words };
  }

  private processSingleQuote(): string {
    let result = "";
    const open = this.next()!;
    if (this.rawQuotes) result += open;
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw new LexError("unexpected end of statement while looking for matching single-quote");
      if (ch === "'") {
        if (this.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    let result = "";
    const open = this.next()!;
    if (this.rawQuotes) result += open;
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new LexError("unexpected end of statement while looking for matching double-quote");
      if (ch === '"') {
        this.next();
        if (this.rawQuotes) result += ch;
        return result;
      }
      if (ch === "$") {
        result += this.processDollar();
        continue;
      }
      let c = this.next()!;
      if (c === this.escape) {
        if (this.rawEscapes) result += c;
        const p = this.peek();
        if (p === undefined) continue; // a lone escape at the end of the word is dropped
        if (p === '"' || p === "$" || p === this.escape) c = this.next()!;
      }
      result += c;
    }
  }

  private processName(): string {
    let name = "";
    while (this.peek() !== undefined) {
      const ch = this.peek()!;
      if (name.length === 0 && isDigit(ch)) {
        while (this.peek() !== undefined && isDigit(this.peek()!)) name += this.next();
        return name;
      }
      if (name.length === 0 && isSpecialParam(ch)) return this.next()!;
      if (!isNameChar(ch)) break;
      name += this.next();
    }
    return name;
  }

  /** The `word` part of ${VAR:-word} and friends, up to the closing brace. */
  private braceWord(): string {
    try {
      return this.processStopOn("}", this.rawEscapes).result;
    } catch (err) {
      if (err instanceof LexError && this.peek() === undefined) throw new LexError("syntax error: missing '}'");
      throw err;
    }
  }

  private processDollar(): string {
    this.next(); // $
    if (this.peek() !== "{") {
      const name = this.processName();
      if (name === "") return "$";
      const { value, found } = this.getEnv(name);
      if (!found && this.skipUnset) return "$" + name;
      return value;
    }
    this.next(); // {
    const first = this.peek();
    if (first === undefined) throw new LexError("syntax error: missing '}'");
    if (first === "{" || first === "}" || first === ":") throw new LexError("syntax error: bad substitution");
    const name = this.processName();
    const ch = this.next();
    if (ch === undefined) throw new LexError("syntax error: missing '}'");
    switch (ch) {
      case "}": {
        const { value, found } = this.getEnv(name);
        if (!found && this.skipUnset) return `\${${name}}`;
        return value;
      }
      case "?": {
        const word = this.braceWord();
        const { value, found } = this.getEnv(name);
        if (!found) {
          if (this.skipUnset) return `\${${name}?${word}}`;
          throw new LexError(`${name}: ${word !== "" ? word : "is not allowed to be unset"}`);
        }
        return value;
      }
      case ":": {
        const modifier = this.next();
        const word = this.braceWord();
        const { value, found } = this.getEnv(name);
        const literal = `\${${name}:${modifier ?? ""}${word}}`;
        switch (modifier) {
          case "+":
            if (!found && this.skipUnset) return literal;
            return value !== "" ? word : value;
          case "-":
            if (!found && this.skipUnset) return literal;
            return value === "" ? word : value;
          case "?":
            if (!found) {
              if (this.skipUnset) return literal;
              throw new LexError(`${name}: ${word !== "" ? word : "is not allowed to be unset"}`);
            }
            if (value === "") throw new LexError(`${name}: ${word !== "" ? word : "is not allowed to be empty"}`);
            return value;
          default:
            throw new LexError(`unsupported modifier (${modifier ?? ""}) in substitution`);
        }
      }
      case "+":
      case "-": {
        const word = this.braceWord();
        const { value, found } = this.getEnv(name);
        if (!found && this.skipUnset) return `\${${name}${ch}${word}}`;
        if (ch === "+") return found ? word : "";
        return found ? value : word;
      }
      case "#":
      case "%": {
        let longest = false;
        if (this.peek() === ch) {
          this.next();
          longest = true;
        }
        const pattern = this.braceWord();
        const { value, found } = this.getEnv(name);
        if (!found && this.skipUnset) return `\${${name}${ch}${longest ? ch : ""}${pattern}}`;
        return ch === "#" ? trimPrefix(value, pattern, longest) : trimSuffix(value, pattern, longest);
      }
      case "/": {
        let all = false;
        if (this.peek() === "/") {
          this.next();
          all = true;
        }
        let pattern = "";
        let replacement = "";
        // the pattern runs to the next unescaped '/' (or '}' when there is no replacement)
        for (;;) {
          const c = this.peek();
          if (c === undefined) throw new LexError("syntax error: missing '}'");
          if (c === "/") {
            this.next();
            replacement = this.braceWord();
            break;
          }
          if (c === "}") {
            this.next();
            break;
          }
          if (c === "$") {
            pattern += this.processDollar();
            continue;
          }
          this.next();
          if (c === this.escape && this.peek() !== undefined) pattern += c + this.next()!;
          else pattern += c;
        }
        const { value, found } = this.getEnv(name);
        if (!found && this.skipUnset) return `\${${name}/${all ? "/" : ""}${pattern}/${replacement}}`;
        return replacePattern(value, pattern, replacement, all);
      }
      default:
        throw new LexError(`unsupported modifier (${ch}) in substitution`);
    }
  }
}

/** Converts a shell glob (*, ?, [...], \x) to a regular expression source. */
function globToRegExp(pattern: string): string {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else if (c === "\\" && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) {
        re += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, close);
      let neg = "";
      if (body.startsWith("!") || body.startsWith("^")) {
        neg = "^";
        body = body.slice(1);
      }
      re += "[" + neg + body.replace(/[\\\]]/g, "\\$&") + "]";
      i = close;
    } else re += escapeRe(c);
  }
  return re;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function fullMatch(re: RegExp, s: string): boolean {
  return re.test(s);
}

function trimPrefix(value: string, pattern: string, longest: boolean): string {
  const re = new RegExp("^(?:" + globToRegExp(pattern) + ")$", "u");
  if (longest) {
    for (let n = value.length; n >= 0; n--) if (fullMatch(re, value.slice(0, n))) return value.slice(n);
  } else {
    for (let n = 0; n <= value.length; n++) if (fullMatch(re, value.slice(0, n))) return value.slice(n);
  }
  return value;
}

function trimSuffix(value: string, pattern: string, longest: boolean): string {
  const re = new RegExp("^(?:" + globToRegExp(pattern) + ")$", "u");
  if (longest) {
    for (let n = 0; n <= value.length; n++) if (fullMatch(re, value.slice(n))) return value.slice(0, n);
  } else {
    for (let n = value.length; n >= 0; n--) if (fullMatch(re, value.slice(n))) return value.slice(0, n);
  }
  return value;
}

function replacePattern(value: string, pattern: string, replacement: string, all: boolean): string {
  if (pattern === "") return value;
  const re = new RegExp("^(?:" + globToRegExp(pattern) + ")$", "u");
  let out = "";
  let i = 0;
  while (i <= value.length) {
    let matched = -1;
    for (let end = value.length; end > i; end--) {
      if (fullMatch(re, value.slice(i, end))) {
        matched = end;
        break;
      }
    }
    if (matched < 0) {
      if (i < value.length) out += value[i];
      i++;
      continue;
    }
    out += replacement;
    i = matched;
    if (!all) return out + value.slice(i);
  }
  return out;
}
