// The page's handle on the engine worker. UI code talks to the engine only
// through this API, as the docker CLI talks to dockerd.
import { Comlink, installErrorTransfer } from "../engine/comlink.ts";
import type { EngineWorkerApi } from "../engine/worker.ts";

installErrorTransfer();

let engine: Comlink.Remote<EngineWorkerApi> | null = null;

export function getEngine(): Comlink.Remote<EngineWorkerApi> {
  if (!engine) {
    const worker = new Worker(new URL("../engine/worker.ts", import.meta.url), { type: "module", name: "berth-engine" });
    engine = Comlink.wrap<EngineWorkerApi>(worker);
  }
  return engine;
}

export { Comlink };
