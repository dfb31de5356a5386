// Dockerfile diagnostics for the editor: our own parser (src/dockerfile) →
// plain marker data. Monaco-free so it can be tested in Node.
import { analyzeDockerfile, type Diagnostic } from "../dockerfile/index.ts";

export interface EditorProblem {
  severity: "error" | "warning";
  message: string;
  code?: string;
  /** 1-based; end column exclusive, as Monaco's markers. */
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
}

/** Is this file a Dockerfile (by its name)? Dockerfile, Dockerfile.fast, app.dockerfile, Containerfile. */
export function isDockerfileName(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return /^(dockerfile|containerfile)([.-].*)?$/i.test(name) || /\.(dockerfile|containerfile)$/i.test(name);
}

/** Problems in a Dockerfile's text, sorted by position. An empty range is widened to one character. */
export function dockerfileProblems(text: string, lineLength: (line: number) => number = () => Infinity): EditorProblem[] {
  let diagnostics: Diagnostic[];
  try {
    diagnostics = analyzeDockerfile(text).diagnostics;
  } catch (err) {
    // The parser promises never to throw; if it does, say so on line 1.
    return [{ severity: "error", message: `internal parser error: ${(err as Error).message}`, startLineNumber: 1, startColumn: 1, endLineNumber: 1, endColumn: 2 }];
  }
  return diagnostics.map((d) => {
    const { start, end } = d.range;
    let endLine = end.line;
    let endColumn = end.column;
    if (endLine < start.line || (endLine === start.line && endColumn <= start.column)) {
      endLine = start.line;
      endColumn = Math.min(start.column + 1, Math.max(lineLength(start.line) + 1, start.column + 1));
    }
    const p: EditorProblem = {
      severity: d.severity,
      message: d.message,
      startLineNumber: start.line,
      startColumn: start.column,
      endLineNumber: endLine,
      endColumn,
    };
    if (d.code) p.code = d.code;
    return p;
  });
}
