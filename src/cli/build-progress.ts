// Renders the engine's BuildEvent stream the way BuildKit shows a build.
//
// plain (not a terminal, or --progress=plain):
//   #1 [internal] load build definition from Dockerfile
//   #1 transferring dockerfile: 84B done
//   #1 DONE 0.0s
//
//   #4 [2/3] RUN echo hi
//   #4 0.112 hi
//   #4 DONE 0.3s
//
// tty (a terminal): a block redrawn in place,
//   [+] Building 1.2s (5/6)
//    => CACHED [2/3] COPY app.sh /                        0.0s
//    => [3/3] RUN ./app.sh                                0.9s
//    => => # output of the running step
//
// Then, on failure, the failing step's last output, the Dockerfile lines
// around the error and "ERROR: failed to solve: <message>".

import type { BuildEvent, BuildStepStatus } from "../core/engine-api.ts";
import { buildDuration, humanSize } from "./format/units.ts";

export type ProgressMode = "plain" | "tty" | "quiet" | "rawjson";

interface Vertex {
  num: number;
  id: string;
  name: string;
  status: BuildStepStatus;
  started: number;
  durationMs?: number;
  /** Complete output lines with their time since the step started. */
  lines: { at: number; text: string }[];
  partial: string;
  partialAt: number;
  error?: string;
  cacheMiss?: string;
  /** Sub-lines ("transferring dockerfile: 84B") shown as "=> =>" in tty mode. */
  subs: { text: string; durationMs: number }[];
  line?: number;
}

export interface ProgressOptions {
  mode: ProgressMode;
  write: (text: string) => void;
  now: () => number;
  columns?: number;
  /** File texts by name (the Dockerfile), for the lines around an error. */
  sources?: Record<string, string>;
  /** Name of the Dockerfile (for errors that carry a line but no file). */
  dockerfile?: string;
}

export interface BuildFailure {
  message: string;
  file?: string;
  line?: number;
  stepId?: string;
}

export class BuildProgress {
  private readonly vertexes = new Map<string, Vertex>();
  private readonly order: Vertex[] = [];
  private lastPrinted: Vertex | null = null;
  private planned = 0;
  private readonly startedAt: number;
  private drawnLines = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private failure: BuildFailure | undefined;
  private finished = false;
  /** Dockerfile lines of planned steps not seen yet. */
  private readonly plans = new Map<string, number | undefined>();
  private readonly printedHeader = new Set<Vertex>();

  constructor(private readonly opts: ProgressOptions) {
    this.startedAt = opts.now();
    if (opts.mode === "tty") {
      this.timer = setInterval(() => this.draw(), 250);
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  /** A step the CLI did itself (loading the Dockerfile and the context). */
  local(name: string, subs: string[]): void {
    const v = this.vertex(`local:${name}`, name);
    v.status = "done";
    v.durationMs = 0;
    this.header(v);
    for (const s of subs) {
      v.subs.push({ text: s, durationMs: 0 });
      this.plain(v, `${s} done`);
    }
    this.plain(v, "DONE 0.0s");
    this.draw();
  }

  event(e: BuildEvent): void {
    if (this.opts.mode === "rawjson") {
      this.opts.write(JSON.stringify(e) + "\n");
      return;
    }
    switch (e.type) {
      case "plan":
        this.planned = e.steps.length;
        for (const s of e.steps) {
          const v = this.vertexes.get(s.id);
          if (v && s.line !== undefined) v.line = s.line;
          if (!v) this.plans.set(s.id, s.line);
        }
        break;
      case "step":
        this.step(e);
        break;
      case "log":
        this.log(e.id, e.data);
        break;
      case "done":
        break;
      case "error":
        this.failure = {
          message: e.message,
          ...(e.file !== undefined ? { file: e.file } : {}),
          ...(e.line !== undefined ? { line: e.line } : {}),
          ...(e.stepId !== undefined ? { stepId: e.stepId } : {}),
        };
        if (e.stepId) {
          const v = this.vertexes.get(e.stepId);
          if (v && v.status !== "failed") {
            v.status = "failed";
            v.error = e.message;
            v.durationMs ??= this.opts.now() - v.started;
            this.flushPartial(v);
            this.plain(v, `ERROR: ${e.message}`);
          }
        }
        break;
    }
    this.draw();
  }

  private vertex(id: string, name: string): Vertex {
    let v = this.vertexes.get(id);
    if (!v) {
      v = { num: this.order.length + 1, id, name, status: "running", started: this.opts.now(), lines: [], partial: "", partialAt: 0, subs: [] };
      const line = this.plans.get(id);
      if (line !== undefined) v.line = line;
      this.vertexes.set(id, v);
      this.order.push(v);
    }
    return v;
  }

  private header(v: Vertex): void {
    this.plain(v, v.name, true);
  }

  /** One "#N text" line in plain mode (with the header first, and a blank line between steps). */
  private plain(v: Vertex, text: string, isHeader = false): void {
    if (this.opts.mode !== "plain") return;
    if (!isHeader && !this.printedHeader.has(v)) this.plain(v, v.name, true);
    if (isHeader) {
      if (this.printedHeader.has(v)) return;
      this.printedHeader.add(v);
    }
    if (this.lastPrinted && this.lastPrinted !== v) this.opts.write("\n");
    this.lastPrinted = v;
    this.opts.write(`#${v.num} ${text}\n`);
  }

  private step(e: Extract<BuildEvent, { type: "step" }>): void {
    const v = this.vertex(e.id, e.name);
    v.name = e.name;
    if (e.cacheMiss) v.cacheMiss = e.cacheMiss;
    switch (e.status) {
      case "running":
        v.status = "running";
        this.header(v);
        if (e.cacheMiss) this.plain(v, `cache miss: ${e.cacheMiss}`);
        break;
      case "cached":
        v.status = "cached";
        v.durationMs = e.durationMs ?? 0;
        this.plain(v, "CACHED");
        break;
      case "done":
        v.status = "done";
        v.durationMs = e.durationMs ?? this.opts.now() - v.started;
        this.flushPartial(v);
        this.plain(v, `DONE ${buildDuration(v.durationMs)}`);
        break;
      case "failed":
        v.status = "failed";
        v.durationMs = e.durationMs ?? this.opts.now() - v.started;
        v.error = e.error ?? "failed";
        this.flushPartial(v);
        this.plain(v, `ERROR: ${v.error}`);
        break;
    }
  }

  private log(id: string, data: string): void {
    const v = this.vertexes.get(id) ?? this.vertex(id, id);
    const at = this.opts.now() - v.started;
    if (v.partial === "") v.partialAt = at;
    const text = v.partial + data;
    const parts = text.split("\n");
    v.partial = parts.pop()!;
    for (const p of parts) this.addLine(v, v.partialAt, p.replace(/\r$/, ""));
    if (v.partial !== "") v.partialAt = at;
  }

  private addLine(v: Vertex, at: number, text: string): void {
    v.lines.push({ at, text });
    this.plain(v, `${(at / 1000).toFixed(3)} ${text}`);
  }

  private flushPartial(v: Vertex): void {
    if (v.partial !== "") {
      this.addLine(v, v.partialAt, v.partial);
      v.partial = "";
    }
  }

  /** The "exporting to image" step after a successful build. */
  exported(imageId: string, names: string[], durationMs?: number): void {
    const v = this.vertex("local:export", "exporting to image");
    v.status = "done";
    v.durationMs = durationMs ?? 0;
    const subs = [`writing image ${imageId}`, ...names.map((n) => `naming to ${n}`)];
    for (const s of subs) {
      v.subs.push({ text: s, durationMs: 0 });
      this.plain(v, `${s} done`);
    }
    this.plain(v, `DONE ${buildDuration(v.durationMs)}`);
    this.draw();
  }

  /** Stops redrawing and prints the error report (if the build failed). */
  finish(failure?: BuildFailure): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const f = failure ?? this.failure;
    if (f) {
      if (!this.failure && f.stepId) {
        const v = this.vertexes.get(f.stepId);
        if (v && v.status !== "failed") {
          v.status = "failed";
          v.error = f.message;
        }
      }
      this.failure = f;
    }
    for (const v of this.order) if (v.status === "running" && f) v.status = "failed";
    this.finished = true;
    this.draw();
    if (this.opts.mode === "plain" && this.lastPrinted) this.opts.write("\n");
    if (f && this.opts.mode !== "rawjson") this.opts.write(this.errorReport(f));
  }

  private errorReport(f: BuildFailure): string {
    const out: string[] = [];
    const v = f.stepId ? this.vertexes.get(f.stepId) : this.order.find((x) => x.status === "failed" && !x.id.startsWith("local:"));
    if (v) {
      out.push("------", ` > ${v.name}:`);
      for (const l of v.lines.slice(-10)) out.push(`${(l.at / 1000).toFixed(3)} ${l.text}`);
      out.push("------");
    }
    const file = f.file ?? this.opts.dockerfile ?? "Dockerfile";
    const line = f.line ?? v?.line;
    const source = this.opts.sources?.[file];
    if (line !== undefined && source !== undefined) out.push(...snippet(file, source, line));
    const message = f.message.startsWith("failed to solve:") ? f.message : `failed to solve: ${f.message}`;
    out.push(`ERROR: ${message}`);
    return out.join("\n") + "\n";
  }

  private draw(): void {
    if (this.opts.mode !== "tty") return;
    const width = Math.max(20, (this.opts.columns ?? 80) - 1);
    const now = this.opts.now();
    const elapsed = buildDuration(now - this.startedAt);
    const done = this.order.filter((v) => v.status !== "running").length;
    // Planned steps not reached yet count too, until the build is over.
    const total = this.finished ? this.order.length : Math.max(this.order.length, this.planned + this.order.filter((v) => v.id.startsWith("local:")).length);
    const lines: string[] = [];
    lines.push(`[+] Building ${elapsed} (${done}/${total})${this.finished ? " FINISHED" : ""}`);
    for (const v of this.order) {
      const label = v.status === "cached" ? "CACHED " : v.status === "failed" ? "ERROR " : "";
      const dur = v.status === "running" ? now - v.started : (v.durationMs ?? 0);
      lines.push(rightAlign(` => ${label}${v.name}`, buildDuration(dur), width));
      for (const s of v.subs) lines.push(rightAlign(` => => ${s.text}`, buildDuration(s.durationMs), width));
      if (v.status === "running" || (v.status === "failed" && this.finished)) {
        const tail = v.lines.slice(-6).map((l) => l.text);
        if (v.partial) tail.push(v.partial);
        for (const t of tail.slice(-6)) lines.push(clip(` => => # ${t}`, width));
      }
    }
    let text = "";
    if (this.drawnLines > 0) text += `\x1b[${this.drawnLines}F`;
    for (const l of lines) text += `${l}\x1b[K\n`;
    text += "\x1b[J";
    this.drawnLines = lines.length;
    this.opts.write(text);
  }
}

function clip(s: string, width: number): string {
  const chars = [...s];
  return chars.length > width ? chars.slice(0, width).join("") : s;
}

function rightAlign(left: string, right: string, width: number): string {
  const room = width - right.length - 1;
  const l = clip(left, Math.max(1, room));
  return l + " ".repeat(Math.max(1, width - [...l].length - right.length)) + right;
}

/** The lines around `line` of a file, BuildKit's way ("   3 | >>> RUN exit 3"). */
export function snippet(file: string, source: string, line: number): string[] {
  const lines = source.replace(/\n$/, "").split("\n");
  if (line < 1 || line > lines.length) return [];
  const from = Math.max(1, line - 4);
  const to = Math.min(lines.length, line + 2);
  const out = [`${file}:${line}`, "--------------------"];
  for (let i = from; i <= to; i++) out.push(` ${String(i).padStart(3)} | ${i === line ? ">>>" : "   "} ${lines[i - 1]}`);
  out.push("--------------------");
  return out;
}

export function transferLine(what: "dockerfile" | "context", bytes: number): string {
  return `transferring ${what}: ${humanSize(bytes, 3)}`;
}
