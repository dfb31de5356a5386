// The docker terminal's line editor: what a shell's readline does, for
// xterm.js. It takes the terminal's input (keys as xterm sends them), keeps
// the line, the cursor and the history, and redraws the prompt line with
// ANSI sequences (wrapping lines included). No DOM and no xterm here, so it is
// unit tested on its own.

export type EditorAction =
  | { type: "submit"; line: string }
  | { type: "interrupt" }
  | { type: "eof" }
  | { type: "complete"; line: string; cursor: number }
  | { type: "clear" };

export interface LineEditorOptions {
  write(data: string): void;
  /** The terminal's width in cells. */
  columns(): number;
  history?: string[];
  maxHistory?: number;
}

export interface CompletionResult {
  start: number;
  end: number;
  candidates: string[];
}

const ESC = "\x1b";

/** Key sequences xterm.js sends, longest first where one is a prefix of another. */
const SEQUENCES: [string, string][] = [
  ["\x1b[1;5C", "word-right"],
  ["\x1b[1;5D", "word-left"],
  ["\x1b[1;3C", "word-right"],
  ["\x1b[1;3D", "word-left"],
  ["\x1b[3~", "delete"],
  ["\x1b[1~", "home"],
  ["\x1b[4~", "end"],
  ["\x1b[7~", "home"],
  ["\x1b[8~", "end"],
  ["\x1b[A", "up"],
  ["\x1b[B", "down"],
  ["\x1b[C", "right"],
  ["\x1b[D", "left"],
  ["\x1b[H", "home"],
  ["\x1b[F", "end"],
  ["\x1bOA", "up"],
  ["\x1bOB", "down"],
  ["\x1bOC", "right"],
  ["\x1bOD", "left"],
  ["\x1bOH", "home"],
  ["\x1bOF", "end"],
  ["\x1bb", "word-left"],
  ["\x1bf", "word-right"],
  ["\x1bd", "kill-word"],
  ["\x1b\x7f", "backward-kill-word"],
];

const CONTROL: Record<string, string> = {
  "\r": "enter",
  "\n": "enter",
  "\t": "tab",
  "\x7f": "backspace",
  "\x08": "backspace",
  "\x01": "home",
  "\x05": "end",
  "\x02": "left",
  "\x06": "right",
  "\x10": "up",
  "\x0e": "down",
  "\x15": "kill-start",
  "\x0b": "kill-end",
  "\x17": "backward-kill-word",
  "\x0c": "clear",
  "\x03": "interrupt",
  "\x04": "eof",
};

/** Visible width of text with ANSI sequences (one cell per code point). */
export function visibleWidth(text: string): number {
  return [...text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")].length;
}

function cells(text: string): number {
  return [...text].length;
}

function commonPrefix(words: string[]): string {
  if (words.length === 0) return "";
  let p = words[0]!;
  for (const w of words.slice(1)) {
    let i = 0;
    while (i < p.length && i < w.length && p[i] === w[i]) i++;
    p = p.slice(0, i);
  }
  return p;
}

/** Candidates in columns that fit `width`, as lines. */
export function formatColumns(words: string[], width: number): string[] {
  if (words.length === 0) return [];
  const colWidth = Math.max(...words.map(cells)) + 2;
  const perRow = Math.max(1, Math.floor(width / colWidth));
  const rows = Math.ceil(words.length / perRow);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    let line = "";
    for (let c = 0; c < perRow; c++) {
      const w = words[c * rows + r];
      if (w === undefined) continue;
      line += w.padEnd(colWidth - ([...w].length - w.length), " ");
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

export class LineEditor {
  private prompt = "";
  private promptWidth = 0;
  private buffer = "";
  private cursor = 0;
  /** Cell offset (from the prompt's start) where the terminal's cursor is now. */
  private shown = 0;
  private active = false;
  readonly history: string[];
  private historyPos: number;
  /** The line being typed, kept while browsing the history. */
  private draft = "";
  private readonly maxHistory: number;

  constructor(private readonly opts: LineEditorOptions) {
    this.history = [...(opts.history ?? [])];
    this.maxHistory = opts.maxHistory ?? 500;
    this.historyPos = this.history.length;
  }

  get line(): string {
    return this.buffer;
  }

  get cursorIndex(): number {
    return this.cursor;
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Shows `prompt` and starts a new empty line. */
  start(prompt: string, initial = ""): void {
    this.prompt = prompt;
    this.promptWidth = visibleWidth(prompt);
    this.buffer = initial;
    this.cursor = initial.length;
    this.shown = 0;
    this.active = true;
    this.historyPos = this.history.length;
    this.draft = "";
    this.render();
  }

  /** Ends the line (the command runs now): the cursor goes below it. */
  finish(): void {
    this.moveToEnd();
    this.opts.write("\r\n");
    this.active = false;
  }

  /** Redraws the prompt and line on a fresh row (after the screen was cleared or output was printed). */
  redraw(): void {
    this.shown = 0;
    this.render();
  }

  addHistory(line: string): void {
    const l = line.replace(/\s+$/, "");
    if (!l.trim()) return;
    if (this.history[this.history.length - 1] !== l) this.history.push(l);
    if (this.history.length > this.maxHistory) this.history.splice(0, this.history.length - this.maxHistory);
    this.historyPos = this.history.length;
  }

  /**
   * Takes input; stops after the first key that needs the host (Enter, Tab,
   * Ctrl-C, Ctrl-D on an empty line, Ctrl-L). Returns how many characters of
   * `data` it used, so the host can keep the rest (type-ahead, pastes).
   */
  feed(data: string): { used: number; action?: EditorAction } {
    let i = 0;
    let text = "";
    const flushText = () => {
      if (text) {
        this.insert(text);
        text = "";
      }
    };
    while (i < data.length) {
      const ch = data[i]!;
      let key: string | undefined;
      let len = 1;
      if (ch === ESC) {
        const seq = SEQUENCES.find(([s]) => data.startsWith(s, i));
        if (seq) {
          key = seq[1];
          len = seq[0].length;
        } else {
          // An unknown sequence: skip ESC [ params final, or a lone ESC.
          const m = /^\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?/s.exec(data.slice(i));
          len = m ? m[0].length : 1;
          key = "ignore";
        }
      } else if (ch === "\r" && data[i + 1] === "\n") {
        key = "enter";
        len = 2;
      } else {
        key = CONTROL[ch];
        if (!key && ch < " ") key = "ignore";
      }
      if (key === undefined) {
        text += ch;
        i += 1;
        continue;
      }
      flushText();
      i += len;
      const action = this.key(key);
      if (action) return { used: i, action };
    }
    flushText();
    return { used: i };
  }

  private key(key: string): EditorAction | undefined {
    const b = this.buffer;
    switch (key) {
      case "enter":
        return { type: "submit", line: b };
      case "tab":
        return { type: "complete", line: b, cursor: this.cursor };
      case "interrupt":
        return { type: "interrupt" };
      case "clear":
        return { type: "clear" };
      case "eof":
        if (b === "") return { type: "eof" };
        return this.edit(b.slice(0, this.cursor) + b.slice(this.nextIndex(this.cursor)), this.cursor);
      case "backspace":
        if (this.cursor === 0) return;
        return this.edit(b.slice(0, this.prevIndex(this.cursor)) + b.slice(this.cursor), this.prevIndex(this.cursor));
      case "delete":
        if (this.cursor >= b.length) return;
        return this.edit(b.slice(0, this.cursor) + b.slice(this.nextIndex(this.cursor)), this.cursor);
      case "left":
        return this.moveTo(this.prevIndex(this.cursor));
      case "right":
        return this.moveTo(this.nextIndex(this.cursor));
      case "home":
        return this.moveTo(0);
      case "end":
        return this.moveTo(b.length);
      case "word-left":
        return this.moveTo(this.wordStart(this.cursor));
      case "word-right":
        return this.moveTo(this.wordEnd(this.cursor));
      case "kill-start":
        return this.edit(b.slice(this.cursor), 0);
      case "kill-end":
        return this.edit(b.slice(0, this.cursor), this.cursor);
      case "backward-kill-word": {
        const s = this.wordStart(this.cursor);
        return this.edit(b.slice(0, s) + b.slice(this.cursor), s);
      }
      case "kill-word": {
        const e = this.wordEnd(this.cursor);
        return this.edit(b.slice(0, this.cursor) + b.slice(e), this.cursor);
      }
      case "up":
        return this.browse(-1);
      case "down":
        return this.browse(1);
      default:
        return;
    }
  }

  private prevIndex(i: number): number {
    if (i <= 0) return 0;
    const c = this.buffer.charCodeAt(i - 1);
    return c >= 0xdc00 && c <= 0xdfff && i >= 2 ? i - 2 : i - 1;
  }

  private nextIndex(i: number): number {
    if (i >= this.buffer.length) return this.buffer.length;
    const c = this.buffer.charCodeAt(i);
    return c >= 0xd800 && c <= 0xdbff ? i + 2 : i + 1;
  }

  private wordStart(i: number): number {
    const b = this.buffer;
    while (i > 0 && /\s/.test(b[i - 1]!)) i--;
    while (i > 0 && !/\s/.test(b[i - 1]!)) i--;
    return i;
  }

  private wordEnd(i: number): number {
    const b = this.buffer;
    while (i < b.length && /\s/.test(b[i]!)) i++;
    while (i < b.length && !/\s/.test(b[i]!)) i++;
    return i;
  }

  private browse(dir: -1 | 1): undefined {
    const next = this.historyPos + dir;
    if (next < 0 || next > this.history.length) {
      this.opts.write("\x07");
      return;
    }
    if (this.historyPos === this.history.length) this.draft = this.buffer;
    this.historyPos = next;
    const text = next === this.history.length ? this.draft : this.history[next]!;
    this.edit(text, text.length);
    return;
  }

  private insert(text: string): void {
    const b = this.buffer;
    this.edit(b.slice(0, this.cursor) + text + b.slice(this.cursor), this.cursor + text.length);
  }

  private edit(buffer: string, cursor: number): undefined {
    this.buffer = buffer;
    this.cursor = Math.max(0, Math.min(cursor, buffer.length));
    this.render();
    return;
  }

  private moveTo(cursor: number): undefined {
    this.cursor = Math.max(0, Math.min(cursor, this.buffer.length));
    this.render();
    return;
  }

  /** Replaces the line (e.g. a command typed for the user). */
  setLine(line: string, cursor = line.length): void {
    this.edit(line, cursor);
  }

  /** Applies a tab completion: the only candidate, the common prefix, or a list of them. */
  applyCompletion(c: CompletionResult): void {
    const b = this.buffer;
    const word = b.slice(c.start, c.end);
    if (c.candidates.length === 0) {
      this.opts.write("\x07");
      return;
    }
    if (c.candidates.length === 1) {
      const cand = c.candidates[0]!;
      const space = /[/=:]$/.test(cand) || b.slice(c.end).startsWith(" ") ? "" : " ";
      this.edit(b.slice(0, c.start) + cand + space + b.slice(c.end), c.start + cand.length + space.length);
      return;
    }
    const prefix = commonPrefix(c.candidates);
    if (prefix.length > word.length && prefix.startsWith(word)) {
      this.edit(b.slice(0, c.start) + prefix + b.slice(c.end), c.start + prefix.length);
      return;
    }
    this.moveToEnd();
    const lines = formatColumns(c.candidates, this.opts.columns());
    this.opts.write("\r\n" + lines.join("\r\n") + "\r\n");
    this.redraw();
  }

  private moveToEnd(): void {
    if (!this.active) return;
    this.cursor = this.buffer.length;
    this.render();
  }

  private render(): void {
    if (!this.active) return;
    const cols = Math.max(1, this.opts.columns());
    let out = "";
    const row = Math.floor(this.shown / cols);
    if (row > 0) out += `\x1b[${row}A`;
    out += "\r\x1b[J" + this.prompt + this.buffer;
    const end = this.promptWidth + cells(this.buffer);
    // At the right margin xterm waits to wrap: make it wrap, so rows add up.
    if (end > 0 && end % cols === 0) out += "\r\n";
    const target = this.promptWidth + cells(this.buffer.slice(0, this.cursor));
    const up = Math.floor(end / cols) - Math.floor(target / cols);
    if (up > 0) out += `\x1b[${up}A`;
    out += "\r";
    if (target % cols > 0) out += `\x1b[${target % cols}C`;
    this.shown = target;
    this.opts.write(out);
  }
}
