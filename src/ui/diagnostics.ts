// Dockerfile diagnostics for the editor: our own parser (src/dockerfile), which
// says what the build would say, merged with a linter's problems
// (dockerfile-utils' validate, passed in as `lint`) → plain marker data.
// Monaco-free, and free of the linter's code too (App.tsx imports
// isDockerfileName from here), so it can be tested in Node.
import { analyzeDockerfile, type Diagnostic } from "../dockerfile/index.ts";

export type ProblemSeverity = "error" | "warning" | "info" | "hint";

export interface EditorProblem {
  severity: ProblemSeverity;
  message: string;
  /** Our parser's code (e.g. "MaintainerDeprecated"); the linter's numbers are not stable, so not kept. */
  code?: string;
  /** "berth": our parser; "dockerfile-utils": the linter. */
  source: "berth" | "dockerfile-utils";
  /** As LSP's DiagnosticTag: shown faded (unnecessary) or struck through (deprecated). */
  tags?: ("unnecessary" | "deprecated")[];
  /** 1-based; end column exclusive, as Monaco's markers. */
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
}

/** A diagnostic as LSP (and dockerfile-utils) gives it: 0-based lines and characters, end exclusive. */
export interface LintDiagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  message: string;
  /** LSP DiagnosticSeverity: 1 error, 2 warning, 3 information, 4 hint (missing: error). */
  severity?: number;
  code?: number | string;
  /** LSP DiagnosticTag: 1 unnecessary, 2 deprecated. */
  tags?: number[];
}

export type Linter = (text: string) => readonly LintDiagnostic[];

/** Is this file a Dockerfile (by its name)? Dockerfile, Dockerfile.fast, app.dockerfile, Containerfile. */
export function isDockerfileName(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return /^(dockerfile|containerfile)([.-].*)?$/i.test(name) || /\.(dockerfile|containerfile)$/i.test(name);
}

// dockerfile-utils' ValidationCode values (its main.d.ts) for problems our
// parser reports as well, with our parser's code for them. A lint problem of
// one of these kinds that overlaps ours of the same kind is the same problem.
const SAME_KIND: ReadonlyMap<number, string> = new Map([
  [11, "EmptyContinuationLine"], // EMPTY_CONTINUATION_LINE
  [37, "MultipleInstructionsDisallowed"], // MULTIPLE_INSTRUCTIONS
  [45, "MaintainerDeprecated"], // DEPRECATED_MAINTAINER
]);
/** DUPLICATE_BUILD_STAGE_NAME: the linter marks every use of the name, we mark the second FROM. */
const DUPLICATE_BUILD_STAGE_NAME = 10;

const LSP_SEVERITY: Record<number, ProblemSeverity> = { 1: "error", 2: "warning", 3: "info", 4: "hint" };
const LSP_TAG: Record<number, "unnecessary" | "deprecated"> = { 1: "unnecessary", 2: "deprecated" };

/** Widens an empty range to one character (Monaco draws nothing for an empty marker). */
function widen(p: EditorProblem, lineLength: (line: number) => number): EditorProblem {
  if (p.endLineNumber < p.startLineNumber || (p.endLineNumber === p.startLineNumber && p.endColumn <= p.startColumn)) {
    p.endLineNumber = p.startLineNumber;
    p.endColumn = Math.min(p.startColumn + 1, Math.max(lineLength(p.startLineNumber) + 1, p.startColumn + 1));
  }
  return p;
}

function fromParser(d: Diagnostic): EditorProblem {
  const p: EditorProblem = {
    severity: d.severity,
    message: d.message,
    source: "berth",
    startLineNumber: d.range.start.line,
    startColumn: d.range.start.column,
    endLineNumber: d.range.end.line,
    endColumn: d.range.end.column,
  };
  if (d.code) p.code = d.code;
  return p;
}

/** A lint diagnostic in Monaco's coordinates (0-based → 1-based; end stays exclusive). */
export function fromLint(d: LintDiagnostic): EditorProblem {
  const p: EditorProblem = {
    severity: LSP_SEVERITY[d.severity ?? 1] ?? "error",
    message: d.message,
    source: "dockerfile-utils",
    startLineNumber: d.range.start.line + 1,
    startColumn: d.range.start.character + 1,
    endLineNumber: d.range.end.line + 1,
    endColumn: d.range.end.character + 1,
  };
  const tags = (d.tags ?? []).map((t) => LSP_TAG[t]).filter((t) => t !== undefined);
  if (tags.length > 0) p.tags = tags;
  return p;
}

const before = (l1: number, c1: number, l2: number, c2: number) => l1 < l2 || (l1 === l2 && c1 < c2);

/** Do two (non-empty) ranges share a character? */
function overlaps(a: EditorProblem, b: EditorProblem): boolean {
  return (
    before(a.startLineNumber, a.startColumn, b.endLineNumber, b.endColumn) &&
    before(b.startLineNumber, b.startColumn, a.endLineNumber, a.endColumn)
  );
}

const normalized = (message: string) => message.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();

/** Does ours say that the build fails here? (A bad ONBUILD trigger fails the child's build.) */
const failsBuild = (p: EditorProblem) => p.severity === "error" || p.code === "InvalidOnbuildTrigger";

/** Is the lint problem `lint` (with its linter code) one our parser already reports as `ours`? */
function sameProblem(lint: EditorProblem, code: unknown, ours: EditorProblem): boolean {
  if (!overlaps(lint, ours)) return false;
  // Our parser stops an instruction at its first error, the one the build
  // would give: a lint error on the same words is that error in other words
  // (e.g. "Second argument should be AS" for our "FROM requires either one or three arguments").
  if (lint.severity === "error" && failsBuild(ours)) return true;
  if (typeof code === "number" && SAME_KIND.get(code) === ours.code && ours.code !== undefined) return true;
  return normalized(lint.message) === normalized(ours.message);
}

/**
 * Problems in a Dockerfile's text, sorted by position: our parser's
 * diagnostics, then the linter's (if `lint` is given) that ours do not
 * already report. Ours say what the build would say, so a lint "error" the
 * parser does not confirm shows as a warning: the build would not fail on it.
 * Empty ranges are widened to one character.
 */
export function dockerfileProblems(text: string, lineLength: (line: number) => number = () => Infinity, lint?: Linter): EditorProblem[] {
  let diagnostics: Diagnostic[];
  try {
    diagnostics = analyzeDockerfile(text).diagnostics;
  } catch (err) {
    // The parser promises never to throw; if it does, say so on line 1.
    return [{ severity: "error", message: `internal parser error: ${(err as Error).message}`, source: "berth", startLineNumber: 1, startColumn: 1, endLineNumber: 1, endColumn: 2 }];
  }
  const ours = diagnostics.map((d) => widen(fromParser(d), lineLength));
  const problems = [...ours];
  let linted: readonly LintDiagnostic[] = [];
  try {
    linted = lint ? lint(text) : [];
  } catch {
    // A linter bug must not hide what the build would say.
  }
  for (const d of linted) {
    const p = widen(fromLint(d), lineLength);
    const same = ours.find((o) => sameProblem(p, d.code, o));
    if (same) {
      // Keep its "deprecated" or "unnecessary" look (MAINTAINER, an overridden CMD).
      if (p.tags) same.tags = [...new Set([...(same.tags ?? []), ...p.tags])];
      continue;
    }
    if (d.code === DUPLICATE_BUILD_STAGE_NAME && ours.some((o) => o.message.startsWith("duplicate stage name"))) continue;
    if (p.severity === "error") p.severity = "warning";
    problems.push(p);
  }
  return problems.sort((a, b) => a.startLineNumber - b.startLineNumber || a.startColumn - b.startColumn);
}
