// The Containers panel: the engine's containers; for one, its state on the
// lifecycle diagram (created → running ⇄ paused → exited → removed) with a
// button for each legal transition, its logs (following), inspect JSON (as
// `docker inspect` prints it) and exec (a terminal tab attached to a shell in
// it). Mirrors the engine's events.
import { useEffect, useRef, useState } from "react";
import { portUrl, registerPortServiceWorker } from "../ports/page.ts";
import { splitCommandLine } from "../cli/index.ts";
import { containerInspectJson, goJsonIndent } from "../cli/format/inspect.ts";
import type { ContainerInspect, ContainerState, ContainerSummary } from "../core/engine-api.ts";
import { useConfirm } from "./Dialog.tsx";
import { getDocker } from "./engine.ts";
import { shortId, timeAgo } from "./format.ts";
import { useEngineState, useNow } from "./use-engine.ts";

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type Shown = ContainerState | "removed";
type Action = "start" | "stop" | "pause" | "unpause" | "restart" | "kill" | "remove";

/** What docker allows from each state. */
export function legalActions(state: Shown): Action[] {
  switch (state) {
    case "created":
      return ["start", "remove"];
    case "running":
      return ["pause", "stop", "restart", "kill", "remove"];
    case "paused":
      return ["unpause", "stop", "kill", "remove"];
    case "restarting":
      return ["stop", "kill", "remove"];
    case "exited":
      return ["start", "restart", "remove"];
    case "dead":
      return ["remove"];
    default:
      return [];
  }
}

const ACTION_LABEL: Record<Action, string> = {
  start: "Start",
  stop: "Stop",
  pause: "Pause",
  unpause: "Unpause",
  restart: "Restart",
  kill: "Kill",
  remove: "Remove",
};

/** Where each state sits on the diagram. */
const NODES: { state: Shown; x: number; y: number }[] = [
  { state: "created", x: 6, y: 14 },
  { state: "running", x: 138, y: 14 },
  { state: "paused", x: 270, y: 14 },
  { state: "exited", x: 138, y: 100 },
  { state: "removed", x: 270, y: 100 },
];
const NODE_W = 76;
const NODE_H = 28;

function nodeOf(state: Shown): Shown {
  if (state === "restarting") return "running";
  if (state === "dead" || state === "removing") return "exited";
  return state;
}

/** The lifecycle diagram; the current state is filled. */
export function Lifecycle(props: { state: Shown }) {
  const current = nodeOf(props.state);
  const at = (s: Shown) => NODES.find((n) => n.state === s)!;
  const edge = (from: Shown, to: Shown, label: string, dy = 0, curve = 0) => {
    const a = at(from);
    const b = at(to);
    let x1 = a.x + NODE_W / 2;
    let y1 = a.y + NODE_H / 2 + dy;
    let x2 = b.x + NODE_W / 2;
    let y2 = b.y + NODE_H / 2 + dy;
    if (a.y === b.y) {
      x1 = a.x < b.x ? a.x + NODE_W : a.x;
      x2 = a.x < b.x ? b.x : b.x + NODE_W;
    } else {
      y1 = a.y < b.y ? a.y + NODE_H : a.y;
      y2 = a.y < b.y ? b.y : b.y + NODE_H;
      x1 += curve;
      x2 += curve;
    }
    return (
      <g key={`${from}-${to}-${label}`}>
        <line x1={x1} y1={y1} x2={x2} y2={y2} className="lc-edge" markerEnd="url(#lc-arrow)" />
        <text x={(x1 + x2) / 2 + (a.y === b.y ? 0 : curve < 0 ? -4 : 4)} y={(y1 + y2) / 2 + (a.y === b.y ? (dy < 0 ? -4 : 11) : 4)} className="lc-label" textAnchor={a.y === b.y ? "middle" : curve < 0 ? "end" : "start"}>
          {label}
        </text>
      </g>
    );
  };
  return (
    <figure className="lifecycle" data-testid="lifecycle" data-state={props.state} aria-label={`Lifecycle: the container is ${props.state}`}>
      <svg viewBox="0 0 352 140" role="img" aria-hidden="true">
        <defs>
          <marker id="lc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M0 0 10 5 0 10z" className="lc-arrowhead" />
          </marker>
        </defs>
        {edge("created", "running", "start")}
        {edge("running", "paused", "pause", -5)}
        {edge("paused", "running", "unpause", 5)}
        {edge("running", "exited", "stop / kill", 0, -12)}
        {edge("exited", "running", "start", 0, 12)}
        {edge("exited", "removed", "rm")}
        {NODES.map((n) => (
          <g key={n.state} className={`lc-node${n.state === current ? " current" : ""}`} data-current={n.state === current}>
            <rect x={n.x} y={n.y} width={NODE_W} height={NODE_H} rx={6} />
            <text x={n.x + NODE_W / 2} y={n.y + NODE_H / 2 + 4} textAnchor="middle">
              {n.state}
            </text>
          </g>
        ))}
      </svg>
      <figcaption className="sr-only">The container is {props.state}.</figcaption>
    </figure>
  );
}

export function ContainersPanel(props: { onExec(id: string, name: string): void; images: string[] }) {
  const containers = useEngineState(() => getDocker().containerList({ all: true }), ["container"]);
  const now = useNow();
  const [selected, setSelected] = useState<string | null>(null);
  const [ghost, setGhost] = useState<ContainerSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const list = containers.data ?? [];
  const current = list.find((c) => c.id === selected) ?? null;
  const lastSeen = useRef<ContainerSummary | null>(null);
  if (current) lastSeen.current = current;

  // The selected container went away: show it as removed.
  useEffect(() => {
    if (selected && containers.data && !containers.data.some((c) => c.id === selected) && lastSeen.current?.id === selected) {
      setGhost({ ...lastSeen.current });
    }
  }, [containers.data, selected]);

  const shown = current ?? (ghost && ghost.id === selected ? ghost : null);

  return (
    <div className="containers-panel">
      <RunForm images={props.images} onStarted={(id) => setSelected(id)} onError={setError} startOpen={containers.data !== null && list.length === 0} />
      {(error || containers.error) && (
        <p className="error-text" role="alert">
          {error ?? containers.error}
        </p>
      )}
      <ul className="object-list" aria-label="Containers">
        {list.map((c) => {
          const isSel = c.id === selected;
          return (
            <li key={c.id} className={`object-row${isSel ? " selected" : ""}`} data-testid="container-row" data-state={c.state}>
              <button type="button" className="object-main" aria-pressed={isSel} onClick={() => setSelected(isSel ? null : c.id)}>
                <span className={`state-dot state-${c.state}`} aria-hidden="true" />
                <span className="object-name">{c.name}</span>
                <span className="object-meta muted">
                  {c.state} · {c.image} · <code>{c.command}</code> · created {timeAgo(c.created, now)}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {containers.data && list.length === 0 && <p className="muted">No containers. Run one above, or with docker run in the terminal.</p>}
      {shown && <ContainerDetail key={shown.id} container={shown} removed={!current} onExec={props.onExec} onError={setError} />}
    </div>
  );
}

function RunForm(props: { images: string[]; onStarted(id: string): void; onError(m: string | null): void; startOpen: boolean }) {
  const [image, setImage] = useState("busybox");
  const [command, setCommand] = useState("sleep 3600");
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      const cmd = command.trim() ? splitCommandLine(command) : undefined;
      const docker = getDocker();
      const { id } = await docker.containerCreate({ image: image.trim(), name: name.trim() || undefined, cmd, tty: true, openStdin: true });
      props.onStarted(id);
      await docker.containerStart(id);
      props.onError(null);
      setName("");
    } catch (err) {
      props.onError(message(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <details className="run-form" open={props.startOpen || undefined}>
      <summary>Run a container</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label className="field-inline">
          <span>Image</span>
          <input value={image} onChange={(e) => setImage(e.target.value)} list="run-images" aria-label="Image to run" spellCheck={false} />
        </label>
        <datalist id="run-images">
          {props.images.map((i) => (
            <option key={i} value={i} />
          ))}
        </datalist>
        <label className="field-inline">
          <span>Command</span>
          <input value={command} onChange={(e) => setCommand(e.target.value)} aria-label="Command (empty: the image's)" spellCheck={false} placeholder="the image's CMD" />
        </label>
        <label className="field-inline">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} aria-label="Container name (optional)" spellCheck={false} placeholder="optional" />
        </label>
        <p className="muted small-text">Like docker run -dit: detached, with a tty and stdin kept open.</p>
        <button type="submit" className="primary" disabled={busy || !image.trim()}>
          {busy ? "Starting…" : "Run"}
        </button>
      </form>
    </details>
  );
}

function ContainerDetail(props: { container: ContainerSummary; removed: boolean; onExec(id: string, name: string): void; onError(m: string | null): void }) {
  const c = props.container;
  const state: Shown = props.removed ? "removed" : c.state;
  const [view, setView] = useState<"logs" | "inspect" | "preview">("logs");
  const webPorts = state === "running" ? c.ports.filter((p) => p.protocol === "tcp" && p.hostPort > 0) : [];
  const [busy, setBusy] = useState<Action | null>(null);
  const [confirm, confirmElement] = useConfirm();
  const legal = legalActions(state);

  const act = async (a: Action) => {
    const docker = getDocker();
    if (a === "remove" && (state === "running" || state === "paused" || state === "restarting")) {
      const ok = await confirm({
        title: `Remove ${c.name}?`,
        message: <p>The container is {state}: it is killed and removed (docker rm -f).</p>,
        confirm: "Kill and remove",
        danger: true,
      });
      if (!ok) return;
    }
    setBusy(a);
    try {
      switch (a) {
        case "start":
          await docker.containerStart(c.id);
          break;
        case "stop":
          await docker.containerStop(c.id, { timeout: 3 });
          break;
        case "pause":
          await docker.containerPause(c.id);
          break;
        case "unpause":
          await docker.containerUnpause(c.id);
          break;
        case "restart":
          await docker.containerRestart(c.id, { timeout: 3 });
          break;
        case "kill":
          await docker.containerKill(c.id);
          break;
        case "remove":
          await docker.containerRemove(c.id, { force: state !== "exited" && state !== "created" && state !== "dead" });
          break;
      }
      props.onError(null);
    } catch (err) {
      props.onError(message(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="container-detail" aria-label={`Container ${c.name}`}>
      <div className="detail-head">
        <h3>{c.name}</h3>
        <code className="muted">{shortId(c.id)}</code>
      </div>
      <Lifecycle state={state} />
      <div className="action-row" role="group" aria-label="Lifecycle actions">
        {(Object.keys(ACTION_LABEL) as Action[]).map((a) => (
          <button key={a} type="button" className={`small${a === "remove" || a === "kill" ? " danger-outline" : ""}`} disabled={!legal.includes(a) || busy !== null} onClick={() => void act(a)}>
            {busy === a ? `${ACTION_LABEL[a]}…` : ACTION_LABEL[a]}
          </button>
        ))}
        <button type="button" className="small" disabled={state !== "running"} onClick={() => props.onExec(c.id, c.name)} title="docker exec -it … sh in a new terminal tab">
          Exec shell
        </button>
      </div>
      {!props.removed && (
        <>
          <div className="segmented" role="tablist" aria-label="Container details">
            <button type="button" role="tab" aria-selected={view === "logs"} onClick={() => setView("logs")}>
              Logs
            </button>
            <button type="button" role="tab" aria-selected={view === "inspect"} onClick={() => setView("inspect")}>
              Inspect
            </button>
            {webPorts.length > 0 && (
              <button type="button" role="tab" aria-selected={view === "preview"} onClick={() => setView("preview")}>
                Preview
              </button>
            )}
          </div>
          {webPorts.length > 0 && (
            <div className="port-links" aria-label="Published ports">
              {webPorts.map((p) => (
                <a key={`${p.hostPort}`} href={portUrl(p.hostPort)} target="_blank" rel="noopener" data-testid={`port-link-${p.hostPort}`}>
                  Open port {p.hostPort} → {p.containerPort}/{p.protocol} in a tab
                </a>
              ))}
            </div>
          )}
          {view === "preview" && webPorts.length > 0 ? (
            <PortPreview port={webPorts[0].hostPort} />
          ) : view === "inspect" ? (
            <Inspect id={c.id} state={c.state} />
          ) : (
            <Logs id={c.id} state={c.state} />
          )}
        </>
      )}
      {confirmElement}
    </section>
  );
}

/** A published port's page, served through the service worker at port/<n>/. */
function PortPreview(props: { port: number }) {
  const [ready, setReady] = useState(false);
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    let live = true;
    // The service worker must control the page before port/<n>/ is ours.
    void registerPortServiceWorker().then(() => live && setReady(true), () => live && setReady(true));
    return () => {
      live = false;
    };
  }, []);
  if (!ready) return <p className="muted">Starting the port proxy…</p>;
  return (
    <div className="port-preview">
      <div className="action-row">
        <code>{portUrl(props.port)}</code>
        <button type="button" className="small" onClick={() => setNonce((n) => n + 1)}>
          Reload
        </button>
      </div>
      <iframe key={nonce} title={`Preview of port ${props.port}`} src={portUrl(props.port)} data-testid="port-preview" sandbox="allow-scripts allow-forms allow-same-origin" />
    </div>
  );
}

const MAX_LOG = 200 * 1024;

function Logs(props: { id: string; state: ContainerState }) {
  const [text, setText] = useState("");
  const [done, setDone] = useState(false);
  const pre = useRef<HTMLPreElement>(null);
  const running = props.state === "running" || props.state === "paused" || props.state === "restarting";

  // Follows the logs; a new start (state back to running) starts a new follow.
  useEffect(() => {
    let live = true;
    const decoder = new TextDecoder();
    setText("");
    setDone(false);
    getDocker()
      .containerLogs(props.id, { follow: true, tail: 1000 }, (chunk) => {
        if (!live) return;
        const t = decoder.decode(chunk.data, { stream: true }).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r\n/g, "\n");
        setText((old) => {
          const next = old + t;
          return next.length > MAX_LOG ? next.slice(next.length - MAX_LOG) : next;
        });
      })
      .then(
        () => live && setDone(true),
        () => live && setDone(true),
      );
    return () => {
      live = false;
    };
  }, [props.id, running]);

  useEffect(() => {
    const el = pre.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [text]);

  return (
    <div className="logs">
      <pre ref={pre} className="log-view" data-testid="container-logs" aria-label="Logs" tabIndex={0}>
        {text || <span className="muted">(no output yet)</span>}
      </pre>
      <p className="muted small-text">{done ? "End of the logs." : "Following…"}</p>
    </div>
  );
}

function Inspect(props: { id: string; state: ContainerState }) {
  const [data, setData] = useState<ContainerInspect | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    getDocker()
      .containerInspect(props.id)
      .then(
        (d) => live && setData(d),
        (err) => live && setError(message(err)),
      );
    return () => {
      live = false;
    };
  }, [props.id, props.state]);
  if (error) return <p className="error-text">{error}</p>;
  if (!data) return <p className="muted">Reading…</p>;
  return (
    <pre className="json-view" data-testid="container-inspect" tabIndex={0}>
      {goJsonIndent(containerInspectJson(data))}
    </pre>
  );
}
