// Monaco, bundled by Vite from the npm package: the editor core, its editor
// features (hover, suggest, find, folding …), the few syntax colourers we
// need, and its web worker through a `?worker` import. Nothing is fetched
// from a CDN. The Dockerfile language gets our own diagnostics (src/dockerfile),
// hover docs and completion.
import * as monaco from "monaco-editor/editor/editor.api.js";
// The editor features we use (Monaco's own list is features/register.all.js).
import "monaco-editor/features/codeEditor/register.js";
import "monaco-editor/features/codicon/register.js";
import "monaco-editor/features/hover/register.js";
import "monaco-editor/features/suggest/register.js";
import "monaco-editor/features/snippet/register.js";
import "monaco-editor/features/find/register.js";
import "monaco-editor/features/folding/register.js";
import "monaco-editor/features/bracketMatching/register.js";
import "monaco-editor/features/comment/register.js";
import "monaco-editor/features/contextmenu/register.js";
import "monaco-editor/features/clipboard/register.js";
import "monaco-editor/features/cursorUndo/register.js";
import "monaco-editor/features/gotoError/register.js";
import "monaco-editor/features/gotoLine/register.js";
import "monaco-editor/features/quickCommand/register.js";
import "monaco-editor/features/quickHelp/register.js";
import "monaco-editor/features/indentation/register.js";
import "monaco-editor/features/linesOperations/register.js";
import "monaco-editor/features/lineSelection/register.js";
import "monaco-editor/features/links/register.js";
import "monaco-editor/features/multicursor/register.js";
import "monaco-editor/features/smartSelect/register.js";
import "monaco-editor/features/wordHighlighter/register.js";
import "monaco-editor/features/wordOperations/register.js";
import "monaco-editor/features/toggleTabFocusMode/register.js";
import "monaco-editor/features/unicodeHighlighter/register.js";
import "monaco-editor/editor/browser/coreCommands.js";
import "monaco-editor/editor/contrib/suggest/browser/suggestController.js";
import "monaco-editor/editor/contrib/find/browser/findController.js";
import "monaco-editor/editor/contrib/gotoError/browser/markerSelectionStatus.js";
import "monaco-editor/editor/common/standaloneStrings.js";
import "monaco-editor/languages/definitions/dockerfile/register.js";
import "monaco-editor/languages/definitions/shell/register.js";
import "monaco-editor/languages/definitions/markdown/register.js";
import "monaco-editor/languages/definitions/html/register.js";
import "monaco-editor/languages/definitions/css/register.js";
import "monaco-editor/languages/definitions/javascript/register.js";
import "monaco-editor/languages/definitions/typescript/register.js";
import "monaco-editor/languages/definitions/python/register.js";
import "monaco-editor/languages/definitions/yaml/register.js";
import "monaco-editor/languages/definitions/ini/register.js";
import EditorWorker from "monaco-editor/editor/editor.worker.js?worker";
import { dockerfileProblems, isDockerfileName } from "./diagnostics.ts";
import {
  INSTRUCTION_DOCS,
  NOT_AFTER_ONBUILD,
  completionContext,
  endsWithContinuation,
  instructionMarkdown,
  keywordAt,
} from "./dockerfile-docs.ts";

declare global {
  interface Window {
    MonacoEnvironment?: monaco.Environment;
  }
}

// Monaco's only worker here is its generic editor worker (links, word
// suggestions, diffs): no language service of its own runs.
self.MonacoEnvironment = {
  getWorker: () => new EditorWorker({ name: "monaco-editor" }),
};

export { monaco };

const MARKER_OWNER = "berth-dockerfile";

/** Monaco's language id for a workspace path. */
export function languageForPath(path: string): string {
  if (isDockerfileName(path)) return "dockerfile";
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  const ext = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1) : "";
  const byExt: Record<string, string> = {
    sh: "shell",
    bash: "shell",
    md: "markdown",
    markdown: "markdown",
    html: "html",
    htm: "html",
    css: "css",
    js: "javascript",
    mjs: "javascript",
    ts: "typescript",
    py: "python",
    yml: "yaml",
    yaml: "yaml",
    ini: "ini",
    conf: "ini",
    env: "ini",
  };
  return byExt[ext] ?? "plaintext";
}

/** The model URI for a workspace path (its own scheme: never a real file). */
export function uriForPath(path: string): monaco.Uri {
  return monaco.Uri.from({ scheme: "berth-workspace", path: "/" + path });
}

let registered = false;

/** Registers the Dockerfile hover and completion providers (once). */
export function registerDockerfileSupport(): void {
  if (registered) return;
  registered = true;

  monaco.languages.registerHoverProvider("dockerfile", {
    provideHover(model, position) {
      const found = keywordAt(model.getLineContent(position.lineNumber), position.column);
      if (!found) return null;
      const previous = position.lineNumber > 1 ? model.getLineContent(position.lineNumber - 1) : "";
      if (endsWithContinuation(previous)) return null;
      const doc = INSTRUCTION_DOCS.get(found.word.toUpperCase())!;
      return {
        range: new monaco.Range(position.lineNumber, found.start, position.lineNumber, found.end),
        contents: [{ value: instructionMarkdown(doc), isTrusted: false, supportHtml: false }],
      };
    },
  });

  monaco.languages.registerCompletionItemProvider("dockerfile", {
    triggerCharacters: ["-"],
    provideCompletionItems(model, position) {
      const line = model.getLineContent(position.lineNumber);
      const previous = position.lineNumber > 1 ? model.getLineContent(position.lineNumber - 1) : "";
      const ctx = completionContext(line, position.column, endsWithContinuation(previous));
      if (!ctx) return { suggestions: [] };
      const range = new monaco.Range(position.lineNumber, ctx.start, position.lineNumber, position.column);
      if (ctx.kind === "instruction") {
        const suggestions = [...INSTRUCTION_DOCS.values()]
          .filter((d) => !(ctx.afterOnbuild && NOT_AFTER_ONBUILD.has(d.keyword)))
          .map((d, i) => ({
            label: d.keyword,
            kind: monaco.languages.CompletionItemKind.Keyword,
            detail: d.summary,
            documentation: { value: instructionMarkdown(d), isTrusted: false },
            insertText: d.snippet,
            insertTextRules: monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet,
            range,
            tags: d.deprecated ? [monaco.languages.CompletionItemTag.Deprecated] : undefined,
            sortText: (d.deprecated ? "z" : "a") + String(i).padStart(2, "0"),
          }));
        return { suggestions };
      }
      const flags = INSTRUCTION_DOCS.get(ctx.keyword)?.flags ?? {};
      return {
        suggestions: Object.entries(flags).map(([flag, detail]) => ({
          label: flag,
          kind: monaco.languages.CompletionItemKind.Property,
          detail,
          insertText: flag === "--link" || flag === "--parents" || flag === "--keep-git-dir" ? flag : `${flag}=`,
          range,
        })),
      };
    },
  });
}

/** Computes our Dockerfile diagnostics for `model` and shows them as markers. */
export function updateDockerfileMarkers(model: monaco.editor.ITextModel): monaco.editor.IMarkerData[] {
  const problems = dockerfileProblems(model.getValue(), (line) => (line <= model.getLineCount() ? model.getLineLength(line) : 0));
  const markers = problems.map((p) => ({
    ...p,
    severity: p.severity === "error" ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
    source: "Dockerfile",
  }));
  monaco.editor.setModelMarkers(model, MARKER_OWNER, markers);
  return markers;
}

export function clearMarkers(model: monaco.editor.ITextModel): void {
  monaco.editor.setModelMarkers(model, MARKER_OWNER, []);
}
