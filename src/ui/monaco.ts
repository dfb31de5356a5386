// Monaco, bundled by Vite from the npm package: the editor core, its editor
// features (hover, suggest, find, folding …), the few syntax colourers we
// need, and its web worker through a `?worker` import. Nothing is fetched
// from a CDN. The Dockerfile language gets markers from our parser
// (src/dockerfile) and dockerfile-utils, and hover, completion and signature
// help from our docs and dockerfile-language-service (dockerfile-language.ts).
import * as monaco from "monaco-editor/editor/editor.api.js";
// The editor features we use (Monaco's own list is features/register.all.js).
import "monaco-editor/features/codeEditor/register.js";
import "monaco-editor/features/codicon/register.js";
import "monaco-editor/features/hover/register.js";
import "monaco-editor/features/suggest/register.js";
import "monaco-editor/features/snippet/register.js";
import "monaco-editor/features/parameterHints/register.js";
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
import { dockerfileProblems, isDockerfileName, type EditorProblem } from "./diagnostics.ts";
import { dockerfileCompletions, dockerfileHover, dockerfileSignatureHelp, lintDockerfile } from "./dockerfile-language.ts";

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

const MARKER_SEVERITY: Record<EditorProblem["severity"], monaco.MarkerSeverity> = {
  error: monaco.MarkerSeverity.Error,
  warning: monaco.MarkerSeverity.Warning,
  info: monaco.MarkerSeverity.Info,
  hint: monaco.MarkerSeverity.Hint,
};
const MARKER_TAG = { unnecessary: monaco.MarkerTag.Unnecessary, deprecated: monaco.MarkerTag.Deprecated };

/** Markdown that may not run anything: no HTML, no command links. */
const untrusted = (value: string): monaco.IMarkdownString => ({ value, isTrusted: false, supportHtml: false });

/**
 * Registers the Dockerfile hover, completion and signature help providers
 * (once). What they say comes from dockerfile-language.ts (our docs and
 * dockerfile-language-service, run in the page).
 */
export function registerDockerfileSupport(): void {
  if (registered) return;
  registered = true;

  monaco.languages.registerHoverProvider("dockerfile", {
    provideHover(model, position) {
      const hover = dockerfileHover(model.getValue(), position.lineNumber, position.column);
      if (!hover) return null;
      return {
        range: hover.range ? monaco.Range.lift(hover.range) : undefined,
        contents: [untrusted(hover.markdown)],
      };
    },
  });

  monaco.languages.registerCompletionItemProvider("dockerfile", {
    // "-" for flags, "$" and "{" for variables, "=" for COPY --from= stages.
    triggerCharacters: ["-", "$", "{", "="],
    async provideCompletionItems(model, position) {
      const items = await dockerfileCompletions(model.getValue(), position.lineNumber, position.column);
      if (model.isDisposed()) return { suggestions: [] };
      return {
        suggestions: items.map((c) => ({
          label: c.label,
          kind: monaco.languages.CompletionItemKind[c.kind],
          detail: c.detail,
          documentation: c.documentation === undefined ? undefined : untrusted(c.documentation),
          insertText: c.insertText,
          insertTextRules: c.snippet ? monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet : undefined,
          range: monaco.Range.lift(c.range),
          sortText: c.sortText,
          filterText: c.filterText,
          tags: c.deprecated ? [monaco.languages.CompletionItemTag.Deprecated] : undefined,
        })),
      };
    },
  });

  monaco.languages.registerSignatureHelpProvider("dockerfile", {
    signatureHelpTriggerCharacters: [" ", "["],
    signatureHelpRetriggerCharacters: [","],
    provideSignatureHelp(model, position) {
      const help = dockerfileSignatureHelp(model.getValue(), position.lineNumber, position.column);
      if (!help) return null;
      return { value: help, dispose() {} };
    },
  });
}

/** Computes the Dockerfile's problems (our parser's and dockerfile-utils') for `model` and shows them as markers. */
export function updateDockerfileMarkers(model: monaco.editor.ITextModel): monaco.editor.IMarkerData[] {
  const problems = dockerfileProblems(model.getValue(), (line) => (line <= model.getLineCount() ? model.getLineLength(line) : 0), lintDockerfile);
  const markers = problems.map(({ severity, tags, source, ...p }) => ({
    ...p,
    severity: MARKER_SEVERITY[severity],
    tags: tags?.map((t) => MARKER_TAG[t]),
    source: source === "berth" ? "Dockerfile" : "dockerfile-utils",
  }));
  monaco.editor.setModelMarkers(model, MARKER_OWNER, markers);
  return markers;
}

export function clearMarkers(model: monaco.editor.ITextModel): void {
  monaco.editor.setModelMarkers(model, MARKER_OWNER, []);
}
