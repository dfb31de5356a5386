// The status line at the bottom: guest state and memory, storage used, a
// progress bar while the guest starts or a build runs, and "Reset everything".
import { useEffect, useState } from "react";
import type { GuestStats } from "../engine/explore.ts";
import { useBuilds } from "./BuildPanel.tsx";
import { useConfirm } from "./Dialog.tsx";
import { getExplore, onEngineEvent } from "./engine.ts";
import { formatBytes } from "./share.ts";

export type GuestStatus = { state: "starting"; label: string; fraction?: number } | { state: "ready"; label: string } | { state: "failed"; label: string };

function useStorageEstimate(): { usage: number; quota: number } | null {
  const [est, setEst] = useState<{ usage: number; quota: number } | null>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const read = () => {
      if (!navigator.storage?.estimate) return;
      void navigator.storage.estimate().then((e) => setEst({ usage: e.usage ?? 0, quota: e.quota ?? 0 }));
    };
    read();
    // Storage changes when images, builds or volumes do: read again after such events.
    const off = onEngineEvent((e) => {
      if (e.type === "container" && !/^(create|destroy|die|stop)$/.test(e.action)) return;
      if (timer === null) timer = setTimeout(() => ((timer = null), read()), 1500);
    });
    return () => {
      off();
      if (timer !== null) clearTimeout(timer);
    };
  }, []);
  return est;
}

function useGuestStats(ready: boolean): GuestStats | null {
  const [stats, setStats] = useState<GuestStats | null>(null);
  useEffect(() => {
    if (!ready) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const read = () =>
      void getExplore()
        .guestStats()
        .then(
          (s) => live && setStats(s),
          () => {},
        );
    read();
    // Memory moves with containers and builds; read after their events, and now and then.
    const off = onEngineEvent((e) => {
      if (e.type !== "container" && e.type !== "builder") return;
      if (timer === null) timer = setTimeout(() => ((timer = null), read()), 1000);
    });
    const slow = setInterval(read, 20_000);
    return () => {
      live = false;
      off();
      clearInterval(slow);
      if (timer !== null) clearTimeout(timer);
    };
  }, [ready]);
  return stats;
}

export function StatusLine(props: { guest: GuestStatus }) {
  const { guest } = props;
  const builds = useBuilds();
  const running = builds.find((b) => b.state === "running");
  const storage = useStorageEstimate();
  const stats = useGuestStats(guest.state === "ready");
  const [confirm, confirmElement] = useConfirm();
  const [resetting, setResetting] = useState(false);

  const reset = async () => {
    const ok = await confirm({
      title: "Reset everything?",
      message: (
        <>
          <p>
            This deletes everything Berth keeps in this browser: your workspace files, images you built, containers, volumes and the build cache. The page
            then reloads with the bundled busybox image only.
          </p>
          <p>Download the workspace files you want to keep first.</p>
        </>
      ),
      confirm: "Delete everything and reload",
      danger: true,
    });
    if (!ok) return;
    setResetting(true);
    try {
      await getExplore().resetAll();
    } finally {
      try {
        for (const k of Object.keys(localStorage)) if (k.startsWith("berth.") && k !== "berth.theme") localStorage.removeItem(k);
        sessionStorage.clear();
      } catch {
        // preferences only
      }
      location.hash = "";
      location.reload();
    }
  };

  const mem =
    stats?.memTotal !== undefined
      ? `${formatBytes(stats.memTotal - (stats.memAvailable ?? 0))} of ${formatBytes(stats.memTotal)} used`
      : guest.state === "ready"
        ? "…"
        : "—";
  const done = running ? running.rows.filter((r) => r.status === "done" || r.status === "cached").length : 0;
  const total = running?.rows.length ?? 0;

  return (
    <footer className="status-line" aria-label="Status">
      <span data-testid="status-guest" data-state={guest.state}>
        <span className={`state-dot ${guest.state === "ready" ? "state-running" : guest.state === "failed" ? "state-dead" : "state-created"}`} aria-hidden="true" />{" "}
        Guest: {guest.label}
      </span>
      <span title="Memory of the Linux guest (from its /proc/meminfo)">Memory: {mem}</span>
      <span title="What this site stores in the browser (navigator.storage.estimate)" data-testid="status-storage">
        Storage: {storage ? `${formatBytes(storage.usage)}${storage.quota ? ` of ${formatBytes(storage.quota)}` : ""}` : "—"}
      </span>
      {guest.state === "starting" && (
        <span className="status-progress">
          <progress aria-label="Guest start progress" value={guest.fraction} max={guest.fraction === undefined ? undefined : 1} />
        </span>
      )}
      {running && (
        <span className="status-progress" data-testid="status-build">
          Building {running.tags[0] ?? ""} {total ? `${done}/${total}` : ""}
          <progress aria-label="Build progress" value={total ? done : undefined} max={total || undefined} />
        </span>
      )}
      <span className="spacer" />
      <button type="button" className="small danger-outline" onClick={() => void reset()} disabled={resetting}>
        {resetting ? "Resetting…" : "Reset everything"}
      </button>
      {confirmElement}
    </footer>
  );
}
