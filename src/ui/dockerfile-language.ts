// The Dockerfile language features of the editor, without Monaco (so they are
// unit tested in Node): dockerfile-language-service (hover, completion,
// signature help) and dockerfile-utils (lint) run here in the page, joined
// with our own instruction docs (dockerfile-docs.ts). Positions in and out are
// Monaco's (1-based lines and columns, end exclusive); LSP's 0-based ranges,
// markup, completion kinds and snippets are converted here. monaco.ts only
// wraps the results in Monaco's types.
//
// Who answers what:
// - an instruction keyword (hover), an instruction or a flag (completion):
//   our docs, which are newer (RUN --mount, COPY --link/--parents/--exclude,
//   ADD --checksum …), say what Berth does, and match what our parser accepts;
// - everything else: the language service — hover on flags, `# escape=` and
//   `# syntax=` directives, ARG/ENV names and $variables (their values);
//   completion of $variables, `COPY --from=` stages, HEALTHCHECK CMD/NONE,
//   destination folders, directives; signature help for arguments.
// Never asked: completion inside FROM, where the service would fetch image
// tags from Docker Hub (nothing leaves the tab unless the user asks).
import { DockerfileLanguageServiceFactory, type DockerfileLanguageService } from "dockerfile-language-service";
import { validate } from "dockerfile-utils";
import type { LintDiagnostic, Linter } from "./diagnostics.ts";
import {
  INSTRUCTION_DOCS,
  NOT_AFTER_ONBUILD,
  completionContext,
  endsWithContinuation,
  escapeOf,
  instructionMarkdown,
  instructionOfLine,
  keywordAt,
} from "./dockerfile-docs.ts";

// LSP's types, as the service's API has them (vscode-languageserver-types is its dependency, not ours).
type Hover = NonNullable<ReturnType<DockerfileLanguageService["computeHover"]>>;
type HoverPart = Exclude<Hover["contents"], unknown[]>;
type CompletionItem = ReturnType<DockerfileLanguageService["resolveCompletionItem"]>;
type SignatureHelp = ReturnType<DockerfileLanguageService["computeSignatureHelp"]>;

export interface EditorRange {
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
}

export interface HoverResult {
  /** Markdown (untrusted: no HTML, no command links). */
  markdown: string;
  range?: EditorRange;
}

/** Monaco's CompletionItemKind member names; LSP's kinds have the same names. */
export type CompletionKindName =
  | "Text" | "Method" | "Function" | "Constructor" | "Field" | "Variable" | "Class" | "Interface" | "Module"
  | "Property" | "Unit" | "Value" | "Enum" | "Keyword" | "Snippet" | "Color" | "File" | "Reference" | "Folder"
  | "EnumMember" | "Constant" | "Struct" | "Event" | "Operator" | "TypeParameter";

/** LSP CompletionItemKind (1 … 25) → the name of Monaco's member. */
const LSP_KINDS: readonly CompletionKindName[] = [
  "Text", "Method", "Function", "Constructor", "Field", "Variable", "Class", "Interface", "Module", "Property",
  "Unit", "Value", "Enum", "Keyword", "Snippet", "Color", "File", "Reference", "Folder", "EnumMember",
  "Constant", "Struct", "Event", "Operator", "TypeParameter",
];

export function completionKindName(lspKind: number | undefined): CompletionKindName {
  return (lspKind !== undefined && LSP_KINDS[lspKind - 1]) || "Text";
}

export interface Completion {
  label: string;
  kind: CompletionKindName;
  detail?: string;
  /** Markdown. */
  documentation?: string;
  insertText: string;
  /** insertText is a snippet ($1, ${1:placeholder}); LSP's and Monaco's syntax are the same. */
  snippet: boolean;
  /** The text it replaces: on the cursor's line, up to the cursor. */
  range: EditorRange;
  sortText?: string;
  filterText?: string;
  deprecated?: boolean;
}

export interface SignatureResult {
  signatures: { label: string; documentation?: string; parameters: { label: string; documentation?: string }[] }[];
  activeSignature: number;
  activeParameter: number;
}

/**
 * Runs `fn` (a synchronous call into the libraries) with a `Buffer` global if
 * there is none, as in the page. Their parser (dockerfile-ast) only calls
 * `Buffer.from(firstCharacter, "UTF-8")` to look for a byte order mark; the
 * stand-in exists only during the call, so that no other code takes the page
 * for Node.
 */
export function withBuffer<T>(fn: () => T): T {
  const g = globalThis as { Buffer?: unknown };
  if (g.Buffer !== undefined) return fn();
  g.Buffer = { from: (text: string) => new TextEncoder().encode(text) };
  try {
    return fn();
  } finally {
    delete g.Buffer;
  }
}

/** dockerfile-utils' validator, as diagnostics.ts's `lint`. */
export const lintDockerfile: Linter = (text) => withBuffer(() => validate(text)) as LintDiagnostic[];

let service: DockerfileLanguageService | null = null;

function languageService(): DockerfileLanguageService {
  if (!service) {
    service = DockerfileLanguageServiceFactory.createLanguageService();
    service.setCapabilities({
      hover: { contentFormat: ["markdown"] },
      completion: {
        completionItem: { snippetSupport: true, documentationFormat: ["markdown"], deprecatedSupport: true, tagSupport: { valueSet: [1] } },
      },
    });
  }
  return service;
}

const splitLines = (text: string) => text.split(/\r\n|\r|\n/);
const lsp = (lineNumber: number, column: number) => ({ line: lineNumber - 1, character: column - 1 });

function toRange(r: { start: { line: number; character: number }; end: { line: number; character: number } }): EditorRange {
  return { startLineNumber: r.start.line + 1, startColumn: r.start.character + 1, endLineNumber: r.end.line + 1, endColumn: r.end.character + 1 };
}

/** Plain text as markdown that shows it as it is (a fenced block longer than any backtick run in it). */
export function plainToMarkdown(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

/** LSP hover contents (markup, a marked string, or a list of them) → markdown. A bare string is a raw value (an ARG's default). */
export function markupToMarkdown(contents: Hover["contents"]): string {
  const one = (c: HoverPart): string => {
    if (typeof c === "string") return plainToMarkdown(c);
    if ("kind" in c) return c.kind === "markdown" ? c.value : plainToMarkdown(c.value);
    return "```" + c.language + "\n" + c.value + "\n```";
  };
  return Array.isArray(contents) ? contents.map(one).join("\n\n") : one(contents);
}

function documentationText(doc: CompletionItem["documentation"]): string | undefined {
  if (doc === undefined) return undefined;
  return typeof doc === "string" ? plainToMarkdown(doc) : markupToMarkdown(doc);
}

/** Hover at a position: our docs over an instruction keyword, else the language service's. */
export function dockerfileHover(text: string, lineNumber: number, column: number): HoverResult | null {
  const lines = splitLines(text);
  const line = lines[lineNumber - 1] ?? "";
  const escape = escapeOf(text);
  const previous = lineNumber > 1 ? lines[lineNumber - 2]! : "";
  const found = endsWithContinuation(previous, escape) ? null : keywordAt(line, column);
  if (found) {
    return {
      markdown: instructionMarkdown(INSTRUCTION_DOCS.get(found.word.toUpperCase())!),
      range: { startLineNumber: lineNumber, startColumn: found.start, endLineNumber: lineNumber, endColumn: found.end },
    };
  }
  let hover: Hover | null;
  try {
    hover = withBuffer(() => languageService().computeHover(text, lsp(lineNumber, column)));
  } catch {
    return null;
  }
  if (!hover) return null;
  const markdown = markupToMarkdown(hover.contents);
  if (!markdown.trim()) return null;
  return hover.range ? { markdown, range: toRange(hover.range) } : { markdown };
}

/** Our completions: instructions (with snippets) or flags, when the cursor is at one. */
function ourCompletions(line: string, lineNumber: number, column: number, continued: boolean): Completion[] | null {
  const ctx = completionContext(line, column, continued);
  if (!ctx) return null;
  const range = { startLineNumber: lineNumber, startColumn: ctx.start, endLineNumber: lineNumber, endColumn: column };
  if (ctx.kind === "instruction") {
    return [...INSTRUCTION_DOCS.values()]
      .filter((d) => !(ctx.afterOnbuild && NOT_AFTER_ONBUILD.has(d.keyword)))
      .map((d, i) => ({
        label: d.keyword,
        kind: "Keyword",
        detail: d.summary,
        documentation: instructionMarkdown(d),
        insertText: d.snippet,
        snippet: true,
        range,
        sortText: (d.deprecated ? "z" : "a") + String(i).padStart(2, "0"),
        deprecated: d.deprecated,
      }));
  }
  const flags = INSTRUCTION_DOCS.get(ctx.keyword)?.flags ?? {};
  return Object.entries(flags).map(([flag, detail]) => ({
    label: flag,
    kind: "Property",
    detail,
    insertText: flag === "--link" || flag === "--parents" || flag === "--keep-git-dir" ? flag : `${flag}=`,
    snippet: false,
    range,
  }));
}

/** An LSP completion item → ours, or null if it cannot be shown at the cursor. */
export function fromLspCompletion(item: CompletionItem, lineNumber: number, column: number): Completion | null {
  let range: EditorRange = { startLineNumber: lineNumber, startColumn: column, endLineNumber: lineNumber, endColumn: column };
  let insertText = item.insertText ?? item.label;
  const edit = item.textEdit;
  if (edit) {
    range = toRange("range" in edit ? edit.range : edit.replace);
    insertText = edit.newText;
  }
  // Monaco wants a range on the cursor's line that ends at (or after) the cursor.
  if (range.startLineNumber !== lineNumber || range.endLineNumber !== lineNumber || range.startColumn > column || range.endColumn < column) return null;
  const c: Completion = {
    label: item.label,
    kind: completionKindName(item.kind),
    insertText,
    snippet: item.insertTextFormat === 2,
    range,
  };
  if (item.detail) c.detail = item.detail;
  const documentation = documentationText(item.documentation);
  if (documentation) c.documentation = documentation;
  if (item.sortText) c.sortText = item.sortText;
  if (item.filterText) c.filterText = item.filterText;
  if (item.deprecated || item.tags?.includes(1)) c.deprecated = true;
  return c;
}

/** Completion at a position (see the top of this file for who answers). */
export async function dockerfileCompletions(text: string, lineNumber: number, column: number): Promise<Completion[]> {
  const lines = splitLines(text);
  const escape = escapeOf(text);
  const line = lines[lineNumber - 1] ?? "";
  const previous = lineNumber > 1 ? lines[lineNumber - 2]! : "";
  const ours = ourCompletions(line, lineNumber, column, endsWithContinuation(previous, escape));
  if (ours) return ours;
  // In FROM the service offers --platform (ours) and image tags from Docker Hub (never).
  if (instructionOfLine(lines, lineNumber - 1, escape) === "FROM") return [];
  let items: CompletionItem[];
  try {
    const ls = languageService();
    // It parses synchronously; only image tags (never asked here) would make it a promise.
    const found = withBuffer(() => ls.computeCompletionItems(text, lsp(lineNumber, column)));
    items = (await found).map((item) => ls.resolveCompletionItem(item));
  } catch {
    return [];
  }
  return items
    .filter((item) => !item.label.startsWith("--")) // flags are ours (a superset of its flags)
    .map((item) => fromLspCompletion(item, lineNumber, column))
    .filter((c) => c !== null);
}

/** Signature help (the instruction's forms and which argument the cursor is on), or null. */
export function dockerfileSignatureHelp(text: string, lineNumber: number, column: number): SignatureResult | null {
  let help: SignatureHelp;
  try {
    help = withBuffer(() => languageService().computeSignatureHelp(text, lsp(lineNumber, column)));
  } catch {
    return null;
  }
  if (!help || help.signatures.length === 0) return null;
  const doc = (d: string | { value: string } | undefined) => (d === undefined ? undefined : typeof d === "string" ? d : d.value);
  return {
    signatures: help.signatures.map((s) => ({
      label: s.label,
      documentation: doc(s.documentation),
      parameters: (s.parameters ?? []).map((p) => ({
        label: typeof p.label === "string" ? p.label : s.label.slice(p.label[0], p.label[1]),
        documentation: doc(p.documentation),
      })),
    })),
    activeSignature: help.activeSignature ?? 0,
    activeParameter: help.activeParameter ?? 0,
  };
}
