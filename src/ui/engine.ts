// The page's handle on the engine worker. UI code talks to the engine only
// through this API, as the docker CLI talks to dockerd.
import { withCallbackProxy } from "../cli/index.ts";
import type { BuildEvent, BuildOptions, EngineApi as DockerApi, EngineEvent } from "../core/engine-api.ts";
import type { ExploreApi } from "../engine/explore.ts";
import type { WorkspaceApi } from "../engine/workspace.ts";
import { BuildStore } from "./build-state.ts";
import { Comlink, getEngine } from "./engine-worker.ts";

export { afterGuestStart, getEngine, startEarly, terminalDrawn, type EngineApi } from "./engine-worker.ts";

/**
 * The workspace (build context) stored by the engine. Comlink reaches methods
 * of a nested object by path, though its types only promise a property read.
 */
export function getWorkspace(): Comlink.Remote<WorkspaceApi> {
  return getEngine().workspace as unknown as Comlink.Remote<WorkspaceApi>;
}

/** The panels' extras (merged image filesystem, volume files, guest memory, reset). */
export function getExplore(): Comlink.Remote<ExploreApi> {
  return getEngine().explore as unknown as Comlink.Remote<ExploreApi>;
}

let docker: DockerApi | null = null;

/**
 * The docker API with callbacks proxied for comlink: what the panels and the
 * terminals call. The remote sits behind plain functions, because a comlink
 * remote turns `fn.apply` (which withCallbackProxy calls) into a remote
 * property rather than Function.prototype.apply.
 */
export function getDocker(): DockerApi {
  if (!docker) {
    const remote = getEngine().engine as unknown as Record<string, (...args: unknown[]) => unknown>;
    const plain = new Proxy({} as DockerApi, {
      get: (_t, prop) => (typeof prop !== "string" || prop === "then" ? undefined : (...args: unknown[]) => Reflect.apply(remote[prop]!, undefined, args)),
    });
    docker = withCallbackProxy(plain, Comlink.proxy);
  }
  return docker;
}

/** Every build the page starts or sees (the Build panel's rows). */
export const buildStore = new BuildStore();

let cli: DockerApi | null = null;

/** The docker API for the terminals' CLI: the same, with each build's events also sent to the Build panel. */
export function getCliEngine(): DockerApi {
  cli ??= new Proxy(getDocker(), {
    get(target, prop, receiver) {
      if (prop === "build") {
        return (opts: BuildOptions, onEvent: (e: BuildEvent) => void) => {
          const sink = buildStore.begin(opts, "terminal");
          return target.build(opts, (e) => {
            sink(e);
            onEvent(e);
          });
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return cli;
}

// --- engine events: one subscription for the page, many listeners ----------

const eventListeners = new Set<(e: EngineEvent) => void>();
let subscribed = false;

/** Calls `fn` with every engine event (docker events); returns an unsubscribe. */
export function onEngineEvent(fn: (e: EngineEvent) => void): () => void {
  eventListeners.add(fn);
  if (!subscribed) {
    subscribed = true;
    getDocker()
      .subscribe((e) => {
        for (const l of eventListeners) l(e);
      })
      .catch(() => {
        subscribed = false;
      });
  }
  return () => eventListeners.delete(fn);
}

export { Comlink };
