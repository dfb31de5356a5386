// Builds as the Build panel shows them: BuildEvents (from the Build button or
// a `docker build` typed in a terminal) folded into rows, one per step. The
// store keeps the last few builds and tells React when one changes.
import type { BuildEvent, BuildOptions } from "../core/engine-api.ts";

export type RowStatus = "waiting" | "running" | "done" | "cached" | "failed";

export interface BuildRow {
  id: string;
  name: string;
  status: RowStatus;
  durationMs?: number;
  /** Why the step missed the cache ("files changed: greet.sh (contents)"). */
  cacheMiss?: string;
  error?: string;
  /** The step's output (RUN), capped. */
  output: string;
  /** Line of the instruction in the Dockerfile. */
  line?: number;
}

export interface BuildRun {
  id: number;
  /** Where it came from: the Build button or a terminal. */
  source: "button" | "terminal";
  dockerfile: string;
  tags: string[];
  startedAt: number;
  state: "running" | "done" | "failed";
  rows: BuildRow[];
  imageId?: string;
  durationMs?: number;
  error?: { message: string; file?: string; line?: number; stepId?: string; exitCode?: number };
}

export const MAX_OUTPUT = 64 * 1024;
export const MAX_RUNS = 10;

export function newRun(id: number, opts: Pick<BuildOptions, "dockerfile" | "tags">, source: BuildRun["source"], now = Date.now()): BuildRun {
  return { id, source, dockerfile: opts.dockerfile ?? "Dockerfile", tags: opts.tags ?? [], startedAt: now, state: "running", rows: [] };
}

function updateRow(run: BuildRun, id: string, fn: (row: BuildRow) => BuildRow, name = id): BuildRun {
  const i = run.rows.findIndex((r) => r.id === id);
  const rows = [...run.rows];
  if (i < 0) rows.push(fn({ id, name, status: "waiting", output: "" }));
  else rows[i] = fn(rows[i]!);
  return { ...run, rows };
}

/** Folds one event into a build (a new object; the old one is left as it was). */
export function applyBuildEvent(run: BuildRun, e: BuildEvent): BuildRun {
  switch (e.type) {
    case "plan": {
      const known = new Map(run.rows.map((r) => [r.id, r]));
      return { ...run, rows: e.steps.map((s) => known.get(s.id) ?? { id: s.id, name: s.name, status: "waiting", output: "", line: s.line }) };
    }
    case "step":
      return updateRow(
        run,
        e.id,
        (r) => ({
          ...r,
          name: e.name,
          status: e.status,
          durationMs: e.durationMs ?? r.durationMs,
          cacheMiss: e.cacheMiss ?? r.cacheMiss,
          error: e.error ?? r.error,
        }),
        e.name,
      );
    case "log":
      return updateRow(run, e.id, (r) => {
        const output = r.output + e.data;
        return { ...r, output: output.length > MAX_OUTPUT ? output.slice(output.length - MAX_OUTPUT) : output };
      });
    case "done":
      return { ...run, state: "done", imageId: e.imageId, tags: e.tags.length ? e.tags : run.tags, durationMs: e.durationMs };
    case "error":
      return {
        ...run,
        state: "failed",
        durationMs: Date.now() - run.startedAt,
        error: { message: e.message, file: e.file, line: e.line, stepId: e.stepId, exitCode: e.exitCode },
        // Steps still running when the build failed did not finish.
        rows: run.rows.map((r) => (r.status === "running" ? { ...r, status: "failed" } : r)),
      };
  }
}

/** Where the error points in the workspace: the event's file/line, else the failed step's line in the Dockerfile. */
export function errorLocation(run: BuildRun): { file: string; line: number } | null {
  if (!run.error) return null;
  if (run.error.line) return { file: run.error.file ?? run.dockerfile, line: run.error.line };
  const failed = run.rows.find((r) => r.status === "failed" && r.line);
  return failed?.line ? { file: run.dockerfile, line: failed.line } : null;
}

type Listener = () => void;

/** The builds the panel shows, newest first. */
export class BuildStore {
  private runs: BuildRun[] = [];
  private nextId = 1;
  private listeners = new Set<Listener>();

  subscribe = (fn: Listener): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  snapshot = (): readonly BuildRun[] => this.runs;

  /** Starts tracking a build; returns the event sink to tee its stream into. */
  begin(opts: Pick<BuildOptions, "dockerfile" | "tags">, source: BuildRun["source"]): (e: BuildEvent) => void {
    const id = this.nextId++;
    this.runs = [newRun(id, opts, source), ...this.runs].slice(0, MAX_RUNS);
    this.emit();
    return (e) => {
      const i = this.runs.findIndex((r) => r.id === id);
      if (i < 0) return;
      const runs = [...this.runs];
      runs[i] = applyBuildEvent(runs[i]!, e);
      this.runs = runs;
      this.emit();
    };
  }

  /** The build failed before the engine said why (e.g. the worker call itself failed). */
  fail(sink: (e: BuildEvent) => void, message: string): void {
    sink({ type: "error", message });
  }

  clear(): void {
    this.runs = this.runs.filter((r) => r.state === "running");
    this.emit();
  }

  private emit() {
    for (const l of this.listeners) l();
  }
}
