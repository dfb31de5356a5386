import { useEffect, useState } from "react";
import type { StartProgress } from "../engine/worker.ts";
import { Comlink, getEngine } from "./engine.ts";
import { GuestTerminal } from "./GuestTerminal.tsx";

type Status =
  | { state: "starting"; progress: StartProgress }
  | { state: "ready"; info: { mode: string; ms: number } }
  | { state: "failed"; message: string };

const phaseLabel: Record<string, string> = {
  manifest: "Reading the guest manifest",
  "bios.bin": "Loading the BIOS",
  "vgabios.bin": "Loading the BIOS",
  "state.bin.gz": "Loading the saved machine",
  bzImage: "Loading the kernel",
  "initrd.cpio": "Loading the initramfs",
  decompress: "Unpacking the saved machine",
  restore: "Restoring the guest",
  boot: "Booting the guest",
  ready: "Ready",
};

let startPromise: Promise<{ mode: string; ms: number }> | null = null;

function startGuest(onProgress: (p: StartProgress) => void) {
  // One guest per page, also under React's StrictMode double effects.
  startPromise ??= getEngine().start(new URL("guest/", document.baseURI).href, Comlink.proxy(onProgress));
  return startPromise;
}

export function App() {
  const [status, setStatus] = useState<Status>({ state: "starting", progress: { phase: "manifest" } });

  useEffect(() => {
    startGuest((progress) => setStatus((s) => (s.state === "starting" ? { state: "starting", progress } : s))).then(
      (info) => setStatus({ state: "ready", info }),
      (err: Error) => setStatus({ state: "failed", message: err.message }),
    );
  }, []);

  return (
    <div className="app">
      <header className="topbar">
        <h1>Berth</h1>
        <span className="tagline">Docker in a browser tab</span>
        <span className="status" role="status" data-testid="guest-status">
          {status.state === "starting" && "Guest starting…"}
          {status.state === "ready" && `Guest running (${status.info.mode} in ${Math.round(status.info.ms)} ms)`}
          {status.state === "failed" && "Guest failed to start"}
        </span>
      </header>
      <main className="main">
        {status.state === "starting" && <StartProgressView progress={status.progress} />}
        {status.state === "failed" && (
          <div className="error" role="alert" data-testid="guest-error">
            <h2>The guest could not start</h2>
            <pre>{status.message}</pre>
          </div>
        )}
        {status.state === "ready" && <GuestTerminal />}
      </main>
    </div>
  );
}

function StartProgressView({ progress }: { progress: StartProgress }) {
  const fraction = progress.total ? (progress.loaded ?? 0) / progress.total : undefined;
  return (
    <div className="starting" data-testid="guest-progress">
      <p>{phaseLabel[progress.phase] ?? progress.phase}…</p>
      <progress aria-label="Guest start progress" value={fraction} max={fraction === undefined ? undefined : 1} />
    </div>
  );
}
