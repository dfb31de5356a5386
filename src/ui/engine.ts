// The page's handle on the engine worker. UI code talks to the engine only
// through this API, as the docker CLI talks to dockerd.
import { Comlink, installErrorTransfer } from "../engine/comlink.ts";
import type { EngineWorkerApi } from "../engine/worker.ts";
import type { WorkspaceApi } from "../engine/workspace.ts";

installErrorTransfer();

/** The worker's API; `workspace` is `createWorkspaceApi()` in the worker's `api` object. */
export type EngineApi = EngineWorkerApi & { workspace: WorkspaceApi };

let engine: Comlink.Remote<EngineApi> | null = null;

export function getEngine(): Comlink.Remote<EngineApi> {
  if (!engine) {
    const worker = new Worker(new URL("../engine/worker.ts", import.meta.url), { type: "module", name: "berth-engine" });
    engine = Comlink.wrap<EngineApi>(worker);
  }
  return engine;
}

/**
 * The workspace (build context) stored by the engine. Comlink reaches methods
 * of a nested object by path, though its types only promise a property read.
 */
export function getWorkspace(): Comlink.Remote<WorkspaceApi> {
  return getEngine().workspace as unknown as Comlink.Remote<WorkspaceApi>;
}

export { Comlink };
