// The engine's Web Worker: the daemon of the page. It owns the guest VM, the
// stores (IndexedDB) and the engine, and offers them over comlink (most of the
// API is in worker-api.ts): `engine` is the docker API
// (src/core/engine-api.ts), `workspace` the files the page edits; the guest
// shell and the VM console are for people. The page never touches v86 or
// IndexedDB directly.
//
// This entry is small on purpose. On the first start() it begins fetching the
// guest's files and compiling v86's wasm, loads the emulator (guest.ts and
// v86) and the engine (worker-api.ts) side by side, and restores the guest as
// soon as the emulator and the files are in, while the engine still loads.
import wasmUrl from "v86/build/v86.wasm?url";
import { UrlAssetSource, compileOnce, filesFor } from "../vm/assets.ts";
import type { GuestVM } from "../vm/guest.ts";
import { Comlink, installErrorTransfer } from "./comlink.ts";
import type { WorkerApi } from "./worker-api.ts";

installErrorTransfer();

/** When the start's phases began (epoch ms), for npm run bench's breakdown of page_ready_ms. */
const timeline: { phase: string; at: number }[] = [];
const stamp = (phase: string) => timeline.push({ phase, at: performance.timeOrigin + performance.now() });
stamp("worker");

const wasm = compileOnce(async () => {
  const url = new URL(wasmUrl, self.location.href).href;
  try {
    return await WebAssembly.compileStreaming(fetch(url));
  } catch {
    // A host that does not send application/wasm: compile from the bytes.
    return WebAssembly.compile(await (await fetch(url)).arrayBuffer());
  }
});

export interface StartProgress {
  phase: string;
  loaded?: number;
  total?: number;
}

// --- the page's guest ------------------------------------------------------------

let progressListener: ((p: StartProgress) => void) | null = null;
let lastProgress: StartProgress | null = null;
let lastSent = 0;
let progressTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * Tells the page how the start goes: a new phase at once, bytes loaded at
 * most every 100 ms, and only when their total is known (a bar can show them).
 */
function report(p: StartProgress): void {
  const newPhase = p.phase !== lastProgress?.phase;
  if (newPhase) stamp(p.phase);
  lastProgress = p;
  if (!newPhase && !p.total) return;
  if (progressTimer !== null) {
    if (!newPhase) return;
    clearTimeout(progressTimer);
    progressTimer = null;
  }
  const send = () => {
    progressTimer = null;
    lastSent = performance.now();
    if (lastProgress) progressListener?.(lastProgress);
  };
  const wait = 100 - (performance.now() - lastSent);
  if (newPhase || wait <= 0) send();
  else progressTimer = setTimeout(send, wait);
}

/** The guest files the first start began fetching. */
let early: { guestBase: string; source: UrlAssetSource } | null = null;

function prefetch(guestBase: string, mode: "restore" | "cold"): void {
  const source = new UrlAssetSource(guestBase);
  source.prefetch(["manifest.json", ...filesFor(mode)]);
  early = { guestBase, source };
  void wasm().catch(() => {});
}

let vmPromise: Promise<GuestVM> | null = null;

/** The page's guest, started once (again after a failed start). */
function startVm(guestBase: string, mode: "restore" | "cold" = "restore"): Promise<GuestVM> {
  vmPromise ??= import("../vm/guest.ts")
    .then(({ GuestVM }) => {
      const source = early?.guestBase === guestBase ? early.source : new UrlAssetSource(guestBase);
      early = null;
      return GuestVM.start({ source, wasm, mode, onProgress: report });
    })
    .catch((err) => {
      vmPromise = null;
      throw err;
    });
  return vmPromise;
}

// --- the rest of the API, from worker-api.ts ---------------------------------------

let impl: Promise<WorkerApi> | null = null;
function load(): Promise<WorkerApi> {
  impl ??= import("./worker-api.ts").then((m) => m.createWorkerApi({ wasm, startVm, stamp }));
  return impl;
}

type Fn = (...args: unknown[]) => unknown;

/** An object of the API (engine, workspace, explore) whose methods wait for worker-api.ts. */
function deferred(name: "engine" | "workspace" | "explore"): object {
  return new Proxy(
    {},
    {
      get: (_t, prop) =>
        typeof prop !== "string" || prop === "then"
          ? undefined
          : async (...args: unknown[]) => {
              const target = (await load())[name] as unknown as Record<string, Fn>;
              return Reflect.apply(target[prop]!, target, args);
            },
    },
  );
}

const own = {
  engine: deferred("engine"),
  workspace: deferred("workspace"),
  explore: deferred("explore"),

  /**
   * Starts the engine and the guest. `base` is the app's base URL (guest
   * assets under guest/, bundled images under images/). The page may call it
   * early without a listener, then again with one: both get the same start.
   */
  async start(base: string, onProgress?: (p: StartProgress) => void, mode: "restore" | "cold" = "restore") {
    if (onProgress) {
      progressListener = onProgress;
      if (lastProgress) onProgress(lastProgress);
    }
    const guestBase = new URL("guest/", base).href;
    if (!vmPromise) {
      if (!early) prefetch(guestBase, mode);
      void startVm(guestBase, mode).catch(() => {}); // reported by the engine's start below
    }
    return (await load()).start(base, mode);
  },

  /** When the start's phases began (epoch ms), and the guest's own start phases (ms). */
  async timeline() {
    const vm = await vmPromise?.catch(() => null);
    return { timeline, phases: vm?.startInfo.phases ?? {} };
  },
};

export type EngineWorkerApi = Omit<WorkerApi, keyof typeof own> & typeof own & Pick<WorkerApi, "engine" | "workspace" | "explore">;

const api = new Proxy(own as unknown as EngineWorkerApi, {
  get(target, prop) {
    if (typeof prop !== "string" || prop === "then") return undefined;
    if (Object.hasOwn(target, prop)) return target[prop as keyof EngineWorkerApi];
    return async (...args: unknown[]) => {
      const a = (await load()) as unknown as Record<string, Fn>;
      return Reflect.apply(a[prop]!, a, args);
    };
  },
});

Comlink.expose(api);
