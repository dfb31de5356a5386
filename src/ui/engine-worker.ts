// The engine worker itself, kept apart from the rest of the page's code so
// that main.tsx can start it (and the guest) before React and the app load.
import { Comlink, installErrorTransfer } from "../engine/comlink.ts";
import type { ExploreApi } from "../engine/explore.ts";
import type { EngineWorkerApi } from "../engine/worker.ts";
import type { WorkspaceApi } from "../engine/workspace.ts";

installErrorTransfer();

/** The worker's API; `workspace` is `createWorkspaceApi()` and `explore` is `createExploreApi()` in the worker's `api` object. */
export type EngineApi = EngineWorkerApi & { workspace: WorkspaceApi; explore: ExploreApi };

let engine: Comlink.Remote<EngineApi> | null = null;

export function getEngine(): Comlink.Remote<EngineApi> {
  if (!engine) {
    const worker = new Worker(new URL("../engine/worker.ts", import.meta.url), { type: "module", name: "berth-engine" });
    engine = Comlink.wrap<EngineApi>(worker);
  }
  return engine;
}

let started: Promise<unknown> | null = null;

/**
 * Starts the engine and the guest now (main.tsx calls it first thing). The
 * app's own start call later joins this one and gets its progress.
 */
export function startEarly(): void {
  if (started) return;
  started = getEngine().start(new URL("./", document.baseURI).href);
  started.then(
    () => performance.mark("berth:started"),
    () => {}, // the app's own start call reports it
  );
}

let terminalShown: () => void = () => {};
const terminal = new Promise<void>((resolve) => (terminalShown = resolve));

/** The docker terminal calls this once it has drawn its prompt. */
export function terminalDrawn(): void {
  terminalShown();
}

/**
 * Resolves once the guest has started and the docker terminal shows its
 * prompt (or the start failed), or after `maxMs`: the page loads what the
 * terminal does not need (the editor) after that, so that it does not compete
 * with the guest and the terminal for the CPU and the network.
 */
export function afterGuestStart(maxMs = 4000): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, maxMs);
    if (!started) return resolve();
    // Then, once the page is idle: the first frames with the prompt come first.
    const idle = () => (typeof requestIdleCallback === "function" ? requestIdleCallback(() => resolve(), { timeout: 500 }) : setTimeout(resolve, 50));
    started.then(
      () => terminal.then(idle),
      () => resolve(),
    );
  });
}

export { Comlink };
