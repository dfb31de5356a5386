// The Build panel: builds of the workspace (the Build button, Ctrl+B, or
// `docker build` in a terminal) as rows, one per step: its name, status,
// duration, output, and for a step that missed the cache, why.
import { useState, useSyncExternalStore } from "react";
import type { BuildContext } from "../cli/index.ts";
import { dockerignoreMatcher } from "../dockerfile/dockerignore.ts";
import { errorLocation, type BuildRow, type BuildRun } from "./build-state.ts";
import { buildStore } from "./engine.ts";
import { duration, shortId } from "./format.ts";
import { MOD } from "./HelpPopover.tsx";
import { Icon } from "./icons.tsx";

export interface BuildSettings {
  tag: string;
  dockerfile: string;
  noCache: boolean;
  /** Build with the workspace's SOURCE_DATE_EPOCH (the same files give the same image digest). */
  reproducible: boolean;
}

/** "2026-11-28 03:00:00 UTC" for an epoch in seconds. */
function utc(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

/** The workspace as a build context: .dockerignore applied (the Dockerfile and .dockerignore always go). */
export function contextFromWorkspace(files: BuildContext, dockerfile: string): BuildContext {
  const ignore = files.find((f) => f.path === ".dockerignore");
  if (!ignore) return files;
  const matcher = dockerignoreMatcher(new TextDecoder().decode(ignore.data));
  return files.filter((f) => f.path === ".dockerignore" || f.path === dockerfile || !matcher.ignores(f.path));
}

const STATUS_TEXT: Record<BuildRow["status"], string> = {
  waiting: "waiting",
  running: "running",
  done: "done",
  cached: "CACHED",
  failed: "failed",
};

export function useBuilds(): readonly BuildRun[] {
  return useSyncExternalStore(buildStore.subscribe, buildStore.snapshot);
}

export function BuildPanel(props: {
  settings: BuildSettings;
  onSettings(s: BuildSettings): void;
  /** The workspace's SOURCE_DATE_EPOCH (seconds), once known. */
  epoch: number | null;
  dockerfiles: string[];
  onBuild(): void;
  onReveal(file: string, line: number): void;
  onShowImage(ref: string): void;
  note?: string;
}) {
  const runs = useBuilds();
  const [shownId, setShownId] = useState<number | null>(null);
  const shown = runs.find((r) => r.id === shownId) ?? runs[0];
  const building = runs.some((r) => r.state === "running" && r.source === "button");
  const { settings, onSettings } = props;
  const files = props.dockerfiles.includes(settings.dockerfile) ? props.dockerfiles : [settings.dockerfile, ...props.dockerfiles];

  return (
    <div className="build-panel">
      <form
        className="build-form"
        onSubmit={(e) => {
          e.preventDefault();
          props.onBuild();
        }}
      >
        <label className="field-inline">
          <span>Tag</span>
          <input
            value={settings.tag}
            onChange={(e) => onSettings({ ...settings, tag: e.target.value })}
            spellCheck={false}
            aria-label="Image tag"
            data-testid="build-tag"
          />
        </label>
        <label className="field-inline">
          <span>File</span>
          <select value={settings.dockerfile} onChange={(e) => onSettings({ ...settings, dockerfile: e.target.value })} aria-label="Dockerfile to build">
            {files.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={settings.noCache} onChange={(e) => onSettings({ ...settings, noCache: e.target.checked })} />
          No cache
        </label>
        <label
          className="check"
          title={
            "Build with SOURCE_DATE_EPOCH" +
            (props.epoch !== null ? `=${props.epoch} (${utc(props.epoch)}, when this workspace was made)` : "") +
            ": image and file times are fixed, so the same files build the same image digest, here or wherever a share link opens them. Off: times are now, as docker build does without it."
          }
        >
          <input type="checkbox" checked={settings.reproducible} onChange={(e) => onSettings({ ...settings, reproducible: e.target.checked })} data-testid="build-reproducible" />
          Reproducible
        </label>
        <button type="submit" className="primary" disabled={building} aria-keyshortcuts="Control+B Meta+B" title={`Build (${MOD}+B)`} data-testid="build-button">
          <Icon name="play" size={12} /> <span>{building ? "Building…" : "Build"}</span>
        </button>
      </form>
      {props.note && (
        <p className="note" role="status">
          {props.note}
        </p>
      )}
      {!shown && (
        <p className="muted">
          Build the workspace's Dockerfile with the button or {MOD}+B (or type <code>docker build -t app .</code> in the terminal). Each step shows here,
          with what came from the cache and, for a step that ran again, why.
        </p>
      )}
      {shown && <RunView run={shown} onReveal={props.onReveal} onShowImage={props.onShowImage} />}
      {runs.length > 1 && (
        <details className="earlier">
          <summary>Earlier builds ({runs.length - 1})</summary>
          <ul>
            {runs.map((r) => (
              <li key={r.id}>
                <button type="button" className="link" onClick={() => setShownId(r.id)} aria-current={r.id === shown?.id}>
                  {r.tags[0] ?? "(untagged)"} · {r.source === "button" ? "Build button" : "terminal"} · {r.state}
                  {r.durationMs !== undefined ? ` · ${duration(r.durationMs)}` : ""}
                </button>
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function RunView(props: { run: BuildRun; onReveal(file: string, line: number): void; onShowImage(ref: string): void }) {
  const { run } = props;
  const cached = run.rows.filter((r) => r.status === "cached").length;
  const built = run.rows.filter((r) => r.status === "done" && r.cacheMiss).length;
  const loc = errorLocation(run);
  const name = run.tags[0] ?? "(untagged)";
  return (
    <section className="build-run" aria-label={`Build of ${name}`} data-testid="build-run" data-state={run.state}>
      <div className="build-summary" role="status">
        {run.state === "running" && (
          <>
            <span className="spinner" aria-hidden="true" /> Building {name} from {run.dockerfile}
            {run.source === "terminal" ? " (terminal)" : ""}…
          </>
        )}
        {run.state === "done" && (
          <>
            Built{" "}
            <button type="button" className="link" onClick={() => props.onShowImage(run.tags[0] ?? run.imageId ?? "")}>
              {name}
            </button>{" "}
            <code title={run.imageId} data-testid="build-image-id" data-image-id={run.imageId}>
              {shortId(run.imageId ?? "")}
            </code>{" "}
            in {duration(run.durationMs)}: {built} step{built === 1 ? "" : "s"} built, {cached} cached.
          </>
        )}
        {run.state === "failed" && (
          <span className="error-text" data-testid="build-error">
            Build failed: {run.error?.message}
            {loc && (
              <>
                {" "}
                <button type="button" className="link" onClick={() => props.onReveal(loc.file, loc.line)} data-testid="build-error-location">
                  {loc.file}:{loc.line}
                </button>
              </>
            )}
          </span>
        )}
      </div>
      <ol className="build-steps" aria-label="Build steps">
        {run.rows.map((row) => (
          <StepRow key={row.id} row={row} dockerfile={run.dockerfile} onReveal={props.onReveal} />
        ))}
      </ol>
    </section>
  );
}

function StepRow(props: { row: BuildRow; dockerfile: string; onReveal(file: string, line: number): void }) {
  const { row } = props;
  const hasOutput = row.output.length > 0 || !!row.error;
  const body = (
    <>
      <span className="step-status" data-status={row.status}>
        {row.status === "running" ? <span className="spinner" aria-hidden="true" /> : null}
        {STATUS_TEXT[row.status]}
      </span>
      <span className="step-name">{row.name}</span>
      <span className="step-time">{row.status === "cached" ? "" : duration(row.durationMs)}</span>
    </>
  );
  return (
    <li className="build-step" data-testid="build-step" data-status={row.status}>
      {hasOutput ? (
        <details open={row.status === "failed"}>
          <summary className="step-line">{body}</summary>
          {row.output && <pre className="step-output">{row.output}</pre>}
          {row.error && <pre className="step-output error-text">{row.error}</pre>}
        </details>
      ) : (
        <div className="step-line">{body}</div>
      )}
      {row.cacheMiss && row.status !== "cached" && (
        <div className="cache-miss" data-testid="cache-miss">
          <span className="muted">cache miss:</span> {row.cacheMiss}
        </div>
      )}
      {row.line !== undefined && row.status === "failed" && (
        <button type="button" className="link small-link" onClick={() => props.onReveal(props.dockerfile, row.line!)}>
          Show line {row.line} of {props.dockerfile}
        </button>
      )}
    </li>
  );
}
