// .dockerignore, with Docker's rules (moby/patternmatcher and its ignorefile):
//  - one pattern a line; a line starting with # (in column 1) is a comment;
//    blank lines are skipped; white space around a pattern is trimmed;
//  - patterns are cleaned like Go's filepath.Clean (`./a` -> `a`, `a//b/` ->
//    `a/b`, `a/../b` -> `b`) and a leading `/` is dropped: all are relative
//    to the context root;
//  - `*` matches any run of characters except `/`, `?` one character except
//    `/`, `[...]` a class, `\` escapes; `**` matches any number of directories
//    (including none);
//  - a pattern that matches a directory also matches everything under it;
//  - `!pattern` re-includes; the last matching pattern wins.

import { BerthError } from "../core/errors.ts";
import { cleanPath } from "../core/paths.ts";

export { cleanPath };

/** Reads .dockerignore text into cleaned patterns (with their `!`), as Docker's ReadAll does. */
export function parseDockerignore(text: string): string[] {
  const patterns: string[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    let line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (i === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.startsWith("#")) return;
    let pattern = line.trim();
    if (pattern === "") return;
    const invert = pattern.startsWith("!");
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith("/")) pattern = pattern.slice(1);
    }
    patterns.push(invert ? "!" + pattern : pattern);
  });
  return patterns;
}

interface Pattern {
  exclusion: boolean;
  source: string;
  re: RegExp;
}

/** Compiles one cleaned pattern (without `!`) to a regular expression, like patternmatcher. */
function compile(pattern: string): RegExp {
  let re = "^";
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === "*") {
      if (chars[i + 1] === "*") {
        i++;
        if (chars[i + 1] === "/") i++; // treat **/ as **
        if (i + 1 >= chars.length) re += ".*";
        else re += "(.*/)?";
      } else {
        re += "[^/]*";
      }
    } else if (ch === "?") {
      re += "[^/]";
    } else if (".+()|{}$^".includes(ch)) {
      re += "\\" + ch;
    } else if (ch === "\\") {
      if (i + 1 < chars.length) re += "\\" + chars[++i];
      else re += "\\\\";
    } else if (ch === "[") {
      // a class: copy through to the closing bracket; Go's `[^...]` negates
      const end = chars.indexOf("]", i + 1 + (chars[i + 1] === "^" ? 1 : 0) + 1);
      if (end < 0) throw new BerthError("invalid-argument", `syntax error in pattern: ${pattern}`);
      let body = chars.slice(i + 1, end).join("");
      let neg = "";
      if (body.startsWith("^")) {
        neg = "^";
        body = body.slice(1);
      }
      if (body === "") throw new BerthError("invalid-argument", `syntax error in pattern: ${pattern}`);
      re += "[" + neg + body.replace(/[[\]]/g, "\\$&") + "]";
      i = end;
    } else if (ch === "]") {
      throw new BerthError("invalid-argument", `syntax error in pattern: ${pattern}`);
    } else {
      re += ch;
    }
  }
  re += "$";
  try {
    return new RegExp(re, "su");
  } catch {
    throw new BerthError("invalid-argument", `syntax error in pattern: ${pattern}`);
  }
}

export class DockerignoreMatcher {
  private readonly patterns: Pattern[] = [];
  /** True when some pattern starts with `!` (a walker must then look inside ignored directories). */
  readonly hasExclusions: boolean;

  /** `patterns` as from parseDockerignore. Throws BerthError on a bad pattern. */
  constructor(patterns: readonly string[]) {
    for (let p of patterns) {
      p = p.trim();
      if (p === "") continue;
      p = cleanPath(p);
      let exclusion = false;
      if (p.startsWith("!")) {
        if (p.length === 1) throw new BerthError("invalid-argument", 'illegal exclusion pattern: "!"');
        exclusion = true;
        p = p.slice(1);
      }
      this.patterns.push({ exclusion, source: p, re: compile(p) });
    }
    this.hasExclusions = this.patterns.some((p) => p.exclusion);
  }

  /**
   * True when `path` (relative to the context, `/`-separated) is ignored:
   * the last pattern that matches it or one of its parent directories decides.
   */
  ignores(path: string): boolean {
    const file = cleanPath(path.replace(/^\/+/, ""));
    const slash = file.lastIndexOf("/");
    const parent = slash < 0 ? "." : file.slice(0, slash);
    const parentDirs = parent.split("/");
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let match = p.re.test(file);
      if (!match && parent !== ".") {
        for (let i = 1; i <= parentDirs.length && !match; i++) match = p.re.test(parentDirs.slice(0, i).join("/"));
      }
      if (match) matched = !p.exclusion;
    }
    return matched;
  }
}

/** Parses .dockerignore text into a matcher. */
export function dockerignoreMatcher(text: string): DockerignoreMatcher {
  return new DockerignoreMatcher(parseDockerignore(text));
}
