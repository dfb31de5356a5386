// Go's text/tabwriter as docker configures it for tables: cells end at a tab,
// each column is as wide as its widest cell plus 3 spaces of padding, at
// least `minWidth` (10) wide; the text after the last tab of a line is not a
// cell and is written as is. Widths count characters (runes), not bytes.

export interface TableOptions {
  minWidth?: number;
  padding?: number;
}

function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Aligns tab-separated lines (no trailing newline needed) into padded columns. */
export function alignTabs(text: string, opts: TableOptions = {}): string {
  const minWidth = opts.minWidth ?? 10;
  const padding = opts.padding ?? 3;
  const trailingNewline = text.endsWith("\n");
  const lines = (trailingNewline ? text.slice(0, -1) : text).split("\n");
  const rows = lines.map((l) => l.split("\t"));
  // Go's tabwriter aligns a column over a block of consecutive lines that all
  // have a cell in it; a line with fewer cells ends the block.
  const out = rows.map(() => "");
  const cellsOf = (r: string[]) => r.length - 1; // the last piece is not a cell
  const alignColumn = (col: number, from: number, to: number) => {
    let w = minWidth;
    for (let i = from; i < to; i++) w = Math.max(w, width(rows[i]![col]!) + padding);
    for (let i = from; i < to; i++) {
      const cell = rows[i]![col]!;
      out[i] += cell + " ".repeat(w - width(cell));
    }
  };
  const walk = (col: number, from: number, to: number) => {
    let i = from;
    while (i < to) {
      if (cellsOf(rows[i]!) <= col) {
        i++;
        continue;
      }
      const start = i;
      while (i < to && cellsOf(rows[i]!) > col) i++;
      alignColumn(col, start, i);
      walk(col + 1, start, i);
    }
  };
  walk(0, 0, rows.length);
  const result = rows.map((r, i) => out[i] + r[r.length - 1]!);
  return result.join("\n") + (trailingNewline ? "\n" : "");
}

/** Lines of cells → aligned table text ending with a newline. */
export function table(rows: readonly (readonly string[])[], opts?: TableOptions): string {
  if (rows.length === 0) return "";
  return alignTabs(rows.map((r) => r.join("\t")).join("\n") + "\n", opts);
}

/** docker's Ellipsis: at most `max` characters, the last one "…" when cut. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 1) return chars.slice(0, max).join("");
  return chars.slice(0, max - 1).join("") + "…";
}

/** docker's TruncateID: drops an algorithm prefix and keeps 12 characters. */
export function shortId(id: string): string {
  const colon = id.indexOf(":");
  const hex = colon >= 0 ? id.slice(colon + 1) : id;
  return hex.slice(0, 12);
}
