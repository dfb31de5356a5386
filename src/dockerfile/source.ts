// A logical line: an instruction whose continuation lines have been joined.
// It remembers where each piece came from so that an offset in the joined
// text maps back to a line and column in the file (for editor markers).

import type { Position, Range } from "./types.ts";

interface Segment {
  offset: number;
  line: number;
  column: number;
  length: number;
}

export class LogicalLine {
  text = "";
  private readonly segments: Segment[] = [];

  /** Appends `text`, which starts at `line`:`column` of the file. */
  append(text: string, line: number, column: number): void {
    if (text.length === 0) {
      if (this.segments.length === 0) this.segments.push({ offset: 0, line, column, length: 0 });
      return;
    }
    if (this.segments.length === 1 && this.segments[0]!.length === 0) this.segments.pop();
    this.segments.push({ offset: this.text.length, line, column, length: text.length });
    this.text += text;
  }

  /** Position of the character at `offset`. */
  position(offset: number): Position {
    const segs = this.segments;
    if (segs.length === 0) return { line: 1, column: 1 };
    let seg = segs[0]!;
    for (const s of segs) {
      if (s.offset <= offset && (offset < s.offset + s.length || s.length === 0)) {
        seg = s;
        break;
      }
      if (s.offset <= offset) seg = s;
    }
    return { line: seg.line, column: seg.column + (offset - seg.offset) };
  }

  /** Range of the text from `start` to `end` (exclusive). */
  range(start: number, end: number): Range {
    const from = this.position(start);
    if (end <= start) return { start: from, end: { ...from } };
    const last = this.position(end - 1);
    return { start: from, end: { line: last.line, column: last.column + 1 } };
  }
}

export function rangeOfLine(line: number, text: string): Range {
  return { start: { line, column: 1 }, end: { line, column: text.length + 1 } };
}

export function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.column - b.column;
}

export function formatRange(r: Range): string {
  return `${r.start.line}:${r.start.column}-${r.end.line}:${r.end.column}`;
}
