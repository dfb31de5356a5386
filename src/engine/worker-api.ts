// The engine worker's API (see worker.ts, which loads this module while the
// guest's files are already on their way): the daemon of the page. It owns
// the guest VM, the stores (IndexedDB) and the engine, and offers them over
// comlink: `engine` is the docker API (src/core/engine-api.ts), `workspace`
// the files the page edits; the guest shell and the VM console are for
// people. The page never touches v86 or IndexedDB directly.
import { openIdbStorage } from "../storage/idb.ts";
import { UrlAssetSource } from "../vm/assets.ts";
import { createMemoryStorage } from "../storage/memory.ts";
import { GuestVM, type GuestProcess } from "../vm/guest.ts";
import { fetchReader } from "./bundled.ts";
import { Comlink } from "./comlink.ts";
import { Engine } from "./engine.ts";
import type { HttpRequest, HttpResponse } from "./http-proxy.ts";
import { createExploreApi } from "./explore.ts";
import { createWorkspaceApi } from "./workspace.ts";

/** What the worker's entry hands over. */
export interface WorkerDeps {
  /** v86's compiled module (compiled once, started early). */
  wasm: () => Promise<WebAssembly.Module>;
  /** The page's guest: started once (by the entry, as early as it can), the same VM for every call. */
  startVm: (guestBase: string, mode?: "restore" | "cold") => Promise<GuestVM>;
  /** Notes when a start phase began, for npm run bench. */
  stamp: (phase: string) => void;
}

export function createWorkerApi({ wasm, startVm, stamp }: WorkerDeps) {
  let appBase: string | null = null;
  let flushTimer: ReturnType<typeof setInterval> | null = null;
  const shells = new Map<number, GuestProcess>();

  function requireBase(): string {
    if (!appBase) throw new Error("the engine is not started: call start() first");
    return appBase;
  }

  let engineReady!: { resolve: (e: Engine) => void; reject: (err: unknown) => void };
  const enginePromise: Promise<Engine> = new Promise((resolve, reject) => {
    engineReady = { resolve, reject };
  });
  let engineCreated = false;

  async function createEngine(base: string): Promise<void> {
    if (engineCreated) return;
    engineCreated = true;
    try {
      const storage = await openIdbStorage({ name: "berth" });
      const read = fetchReader(new URL("images/", base));
      // A new visitor's bundled images are fetched and stored once the guest
      // has started, so that they do not compete with its start.
      const guestStarted = startVm(new URL("guest/", base).href).then(
        () => {},
        () => {},
      );
      const engine = new Engine({
        storage,
        startGuest: () => startVm(new URL("guest/", base).href),
        bundled: (path) => guestStarted.then(() => read(path)),
        // Registries without CORS headers through the dev/preview server's proxy (npm start).
        registry: { proxy: { base: new URL("/registry-proxy/", base).href } },
      });
      engineReady.resolve(engine);
    } catch (err) {
      engineReady.reject(err);
    }
  }

  let started: Promise<GuestVM["startInfo"]> | null = null;

  async function startOnce(base: string, mode: "restore" | "cold") {
    stamp("start");
    const vmStarted = startVm(new URL("guest/", base).href, mode);
    await createEngine(base);
    const vm = await vmStarted;
    const e = await enginePromise;
    // The bundled images' import goes on: the terminal takes commands now, and
    // every engine method waits for it (a failure shows on the first command).
    void e
      .whenReady()
      .then(() => {
        stamp("engine-ready");
        return e.guest();
      })
      .then(() => e.containers.applyRestartPolicies())
      .catch(() => {});
    // A reload or a closed tab ends the guest without warning: keep running
    // containers' writable layers and volumes in the store every so often.
    flushTimer ??= setInterval(() => {
      if (e.containers.counts().running > 0) void e.containers.flush().catch(() => {});
    }, 20_000);
    return vm.startInfo;
  }

  /** The docker API for the page and its CLI: every method waits for the engine. */
  const engine = new Proxy(
    {},
    {
      get(_t, prop: string) {
        return async (...args: unknown[]) => {
          const e = await enginePromise;
          const fn = (e as unknown as Record<string, (...a: unknown[]) => unknown>)[prop];
          if (typeof fn !== "function") throw new Error(`the engine has no method ${prop}`);
          return fn.apply(e, args);
        };
      },
    },
  ) as Engine;

  const api = {
    /** The docker API (see src/core/engine-api.ts). */
    engine,

    /** The workspace (build context) the page edits, kept in IndexedDB. */
    workspace: createWorkspaceApi(),

    /** The panels' extras: merged image filesystem, volume files, guest memory, reset (explore.ts). */
    explore: createExploreApi(() => enginePromise),

    /**
     * Starts the engine and the guest. `base` is the app's base URL (guest
     * assets under guest/, bundled images under images/).
     */
    async start(base: string, mode: "restore" | "cold" = "restore") {
      appBase = base;
      started ??= startOnce(base, mode).catch((err) => {
        started = null;
        throw err;
      });
      return started;
    },

    /** An HTTP request to a published port, for the service worker's port/<n>/ paths. */
    async httpRequest(hostPort: number, req: HttpRequest): Promise<HttpResponse> {
      const res = await (await enginePromise).httpRequest(hostPort, req);
      return Comlink.transfer(res, [res.body.buffer as ArrayBuffer]);
    },

    /** Writes containers' files and volumes out to the store (before the page goes away). */
    async flush() {
      const e = await enginePromise;
      await e.containers.flush();
    },

    /** Starts a login shell on a tty in the guest itself (the VM shell); returns its id. */
    async openShell(rows: number, cols: number, onData: (bytes: Uint8Array) => void, onExit: (code: number) => void): Promise<number> {
      const vm = await startVm(new URL("guest/", requireBase()).href);
      const proc = await vm.spawn({
        argv: ["sh", "-l"],
        tty: { rows, cols },
        env: ["TERM=xterm-256color", "HOME=/root", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
        cwd: "/root",
      });
      shells.set(proc.id, proc);
      proc.onStdout((d) => onData(d));
      void proc.exited.then((s) => {
        shells.delete(proc.id);
        onExit(s.exitCode);
      });
      return proc.id;
    },

    write(id: number, data: Uint8Array | string) {
      shells.get(id)?.write(data);
    },

    resize(id: number, rows: number, cols: number) {
      shells.get(id)?.resize(rows, cols);
    },

    async ping() {
      return (await startVm(new URL("guest/", requireBase()).href)).ping();
    },

    /** The VM console (serial ttyS0): what the guest prints, and typing into it. */
    async onSerial(fn: (bytes: Uint8Array) => void) {
      (await startVm(new URL("guest/", requireBase()).href)).onSerial(fn);
    },

    async serialWrite(data: string) {
      (await startVm(new URL("guest/", requireBase()).href)).serialWrite(data);
    },

    /** Engine benchmarks (npm run bench): a fresh engine and VM with in-memory stores. */
    async engineBenchmark(base: string) {
      const guestBase = new URL("guest/", base).href;
      const e = new Engine({
        storage: createMemoryStorage(),
        startGuest: () => GuestVM.start({ source: new UrlAssetSource(guestBase), wasm }),
        bundled: fetchReader(new URL("images/", base)),
      });
      await e.whenReady();
      try {
        // The benchmarks (and the CLI they drive) load only for npm run bench.
        const { benchEngine } = await import("./bench.ts");
        return await benchEngine(e);
      } finally {
        await e.shutdown();
      }
    },

    /** Registry benchmarks (npm run bench): push to and pull from `registryHost`, with in-memory stores. */
    async registryBenchmark(base: string, registryHost: string) {
      const make = async () => {
        const e = new Engine({
          storage: createMemoryStorage(),
          startGuest: () => Promise.reject(new Error("the registry benchmark needs no guest")),
          registry: { proxy: { base: new URL("/registry-proxy/", base).href } },
        });
        await e.whenReady();
        return e;
      };
      const { benchRegistry } = await import("./bench-registry.ts");
      return benchRegistry(await make(), await make(), registryHost);
    },

    /** Guest benchmarks (npm run bench): fresh VMs, separate from the page's own. */
    async benchmark(guestBase: string) {
      const { benchGuest } = await import("../vm/bench.ts");
      return benchGuest((mode) => GuestVM.start({ source: new UrlAssetSource(guestBase), wasm, mode }));
    },
  };

  return api;
}

export type WorkerApi = ReturnType<typeof createWorkerApi>;
