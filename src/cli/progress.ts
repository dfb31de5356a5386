// Pull and push progress, printed the way the docker CLI prints dockerd's
// JSON messages (moby's jsonmessage display):
//
// - not a terminal: one line per message, "<id>: <status>" or "<status>";
//   messages carrying byte progress ("Downloading", "Pushing") are left out;
// - a terminal: each layer keeps one line that is rewritten in place
//   (cursor up, clear, print, cursor down), with a bar when the terminal is
//   wider than 110 columns: "abc: Downloading [=====>     ]  1.05MB/2.1MB".

import type { ProgressMessage } from "../core/engine-api.ts";
import { humanSize } from "./format/units.ts";

const ESC = "\x1b";
const LAYER_ID = /^[0-9a-f]{12}$/;

/** The bar and counts for a progressDetail, as JSONProgress.String makes them. */
export function progressBar(detail: { current: number; total?: number }, width: number): string {
  const { current } = detail;
  const total = detail.total ?? 0;
  if (current <= 0 && total <= 0) return "";
  if (total <= 0) return humanSize(current).padStart(8);
  let percentage = Math.floor(Math.floor((current / total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  let bar = "";
  if (width > 110) bar = `[${"=".repeat(percentage)}>${" ".repeat(Math.max(0, 50 - percentage))}] `;
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

export class ProgressPrinter {
  /** Line index (from the first in-place line) of each layer ID. */
  private ids = new Map<string, number>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly columns = 80,
  ) {}

  message(m: ProgressMessage): void {
    const text = (m.id ? `${m.id}: ` : "") + m.status;
    if (!this.tty) {
      if (m.progressDetail !== undefined && progressBar(m.progressDetail, this.columns) !== "") return;
      this.write(`${text}\n`);
      return;
    }
    const full = m.progressDetail !== undefined ? `${text} ${progressBar(m.progressDetail, this.columns)}` : text;
    if (m.id === undefined || !LAYER_ID.test(m.id)) {
      // Not a layer: an ordinary line, and the layers above are done with.
      this.ids.clear();
      this.write(`${full}\n`);
      return;
    }
    let line = this.ids.get(m.id);
    if (line === undefined) {
      line = this.ids.size;
      this.ids.set(m.id, line);
      this.write(`${full}\n`);
      return;
    }
    const up = this.ids.size - line;
    this.write(`${ESC}[${up}A${ESC}[2K\r${full}\r${ESC}[${up}B`);
  }
}
