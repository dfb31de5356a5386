// --format for list commands (ps, images, volume ls, ...), as docker does it:
//   (none) or "table"  the command's default table
//   "table TEMPLATE"   a table with a header row made from the same template
//   "json"             one JSON object a line ({{json .}})
//   "TEMPLATE"         the template once per item, no header
// Literal "\t" and "\n" in the format are turned into tab and newline.

import { CliError } from "../errors.ts";
import { alignTabs } from "./table.ts";
import { HEADER, TemplateError, parseTemplate, type Template } from "./template.ts";

export interface ListFormat<T> {
  /** The table shown without --format, e.g. "table {{.ID}}\t{{.Image}}". */
  defaultTable: string;
  /** The format for -q. */
  quietFormat: string;
  /** Column titles by field name ("ID" → "CONTAINER ID"). */
  headers: Record<string, string>;
  /** The template's dot for one item (a struct made with asStruct). */
  context(item: T): object;
  /** tabwriter's minimum column width (docker: 10, top: 20). */
  minWidth?: number;
}

export interface RenderOptions {
  format?: string;
  quiet?: boolean;
  /** Where warnings go ("Ignoring custom format ..."). */
  warn?: (text: string) => void;
}

/** Parses a --format/-f template with docker's error wording; `status` is the exit code on a bad template. */
export function compileFormat(text: string, status = 1): Template {
  try {
    return parseTemplate(text);
  } catch (err) {
    if (err instanceof TemplateError) throw new CliError(`template parsing error: template: :1: ${err.message}`, status);
    throw err;
  }
}

/** Runs a compiled template with docker's wording for errors. */
export function executeFormat(t: Template, data: unknown, status = 1): string {
  try {
    return t.execute(data);
  } catch (err) {
    if (err instanceof TemplateError) throw new CliError(`template: :1: executing "" at <.>: ${err.message}`, status);
    throw err;
  }
}

/** A dot for the header row: every field answers with its column title. */
export function headerContext(headers: Record<string, string>): object {
  return new Proxy(
    {},
    {
      get(_t, prop) {
        if (prop === HEADER) return true;
        if (typeof prop !== "string") return undefined;
        return headers[prop] ?? prop.replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
      },
      has(_t, prop) {
        return typeof prop === "string" || prop === HEADER;
      },
    },
  );
}

export function isTableFormat(format: string | undefined): boolean {
  return format === undefined || format === "" || format.startsWith("table");
}

/** Formats a list: the text to write to stdout (ends with a newline unless empty). */
export function renderList<T>(spec: ListFormat<T>, items: readonly T[], opts: RenderOptions = {}): string {
  let format = opts.format ?? "";
  if (opts.quiet && format !== "" && format !== "table") {
    opts.warn?.("WARNING: Ignoring custom format, because both --format and --quiet are set.\n");
    format = "";
  }
  if (format === "" || format === "table") format = opts.quiet ? spec.quietFormat : spec.defaultTable;
  if (format === "json") format = "{{json .}}";
  const isTable = format.startsWith("table");
  let body = isTable ? format.slice("table".length) : format;
  body = body.trim().replace(/\\t/g, "\t").replace(/\\n/g, "\n");
  if (isTable && body === "") body = spec.defaultTable.slice("table".length).trim();
  const template = compileFormat(body);
  const lines: string[] = [];
  if (isTable) lines.push(executeFormat(template, headerContext(spec.headers)));
  for (const item of items) lines.push(executeFormat(template, spec.context(item)));
  if (lines.length === 0) return "";
  const text = lines.join("\n") + "\n";
  return isTable ? alignTabs(text, { minWidth: spec.minWidth ?? 10 }) : text;
}
