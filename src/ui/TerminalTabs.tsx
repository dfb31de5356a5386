// The bottom pane: terminal tabs. Docker terminals (the first one is the
// default; + opens more; `exec` from the Containers panel opens one attached
// to a container), the VM shell (a shell in the guest itself) and the VM
// console (the guest's serial port). A tab is mounted when first shown and
// stays mounted (its session goes on) until closed.
import { useImperativeHandle, useRef, useState, type KeyboardEvent, type ReactNode, type Ref } from "react";
import { DockerTerminal, type DockerTerminalHandle } from "./DockerTerminal.tsx";
import { GuestTerminal, SerialConsole } from "./GuestTerminal.tsx";
import { Icon } from "./icons.tsx";
import type { Theme } from "./theme.ts";

type Tab =
  | { id: string; kind: "docker"; title: string; initialCommand?: string; closable: boolean; autoFocus?: boolean }
  | { id: "vm-shell"; kind: "shell"; title: string }
  | { id: "vm-console"; kind: "console"; title: string };

export interface TerminalTabsHandle {
  /** Focuses the active tab's terminal. */
  focus(): void;
  /** Runs command lines in the active docker terminal (or the first one), showing it. */
  runInDocker(lines: string[]): void;
  /** Opens a docker terminal tab running `docker exec -it <id> sh`. */
  openExec(container: string, name: string): void;
}

const FIXED: Tab[] = [
  { id: "vm-shell", kind: "shell", title: "VM shell" },
  { id: "vm-console", kind: "console", title: "VM console" },
];

export function TerminalTabs(props: {
  ref?: Ref<TerminalTabsHandle>;
  theme: Theme;
  /**
   * While the guest starts: what to show over the terminals (its progress).
   * They are made meanwhile, so that the docker terminal's prompt shows as
   * soon as the guest runs; keys typed before wait for it.
   */
  starting?: ReactNode;
}) {
  const [dockerTabs, setDockerTabs] = useState<Tab[]>([{ id: "docker-1", kind: "docker", title: "docker", closable: false }]);
  const [active, setActive] = useState("docker-1");
  const [mounted, setMounted] = useState<Set<string>>(() => new Set(["docker-1"]));
  const counter = useRef(1);
  const handles = useRef(new Map<string, DockerTerminalHandle | null>());
  const focusers = useRef(new Map<string, { focus(): void } | null>());
  const tabButtons = useRef(new Map<string, HTMLButtonElement | null>());
  const tabs = [...dockerTabs, ...FIXED];

  const show = (id: string) => {
    setActive(id);
    setMounted((m) => (m.has(id) ? m : new Set(m).add(id)));
  };

  const addDocker = (initialCommand?: string, title?: string) => {
    const n = ++counter.current;
    const id = `docker-${n}`;
    setDockerTabs((t) => [...t, { id, kind: "docker", title: title ?? `docker ${n}`, initialCommand, closable: true, autoFocus: true }]);
    show(id);
    return id;
  };

  const close = (id: string) => {
    const i = tabs.findIndex((t) => t.id === id);
    setDockerTabs((t) => t.filter((x) => x.id !== id));
    setMounted((m) => {
      const next = new Set(m);
      next.delete(id);
      return next;
    });
    handles.current.delete(id);
    if (active === id) show(tabs[i - 1]?.id ?? "docker-1");
  };

  useImperativeHandle(props.ref, () => ({
    focus: () => (active.startsWith("docker") ? handles.current.get(active) : focusers.current.get(active))?.focus(),
    runInDocker: (lines: string[]) => {
      const id = active.startsWith("docker") ? active : "docker-1";
      show(id);
      const h = handles.current.get(id);
      for (const l of lines) h?.run(l);
      h?.focus();
    },
    openExec: (container: string, name: string) => {
      // The name reads better than the ID, and docker names need no quoting.
      addDocker(`docker exec -it ${/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name) ? name : container} sh`, `exec ${name}`);
    },
  }));

  // Arrow keys move between tabs (WAI-ARIA tabs pattern).
  const onKeyDown = (e: KeyboardEvent) => {
    const i = tabs.findIndex((t) => t.id === active);
    let next = -1;
    if (e.key === "ArrowRight") next = (i + 1) % tabs.length;
    else if (e.key === "ArrowLeft") next = (i - 1 + tabs.length) % tabs.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = tabs.length - 1;
    if (next < 0) return;
    e.preventDefault();
    show(tabs[next]!.id);
    tabButtons.current.get(tabs[next]!.id)?.focus();
  };

  const starting = props.starting !== null && props.starting !== undefined;
  return (
    <div className="terminal-tabs" style={{ position: "relative" }}>
      {starting && (
        <div style={{ position: "absolute", inset: 0, zIndex: 1, display: "flex", background: "var(--terminal-bg)" }}>{props.starting}</div>
      )}
      <div className="term-tabbar">
        <div role="tablist" aria-label="Terminals" className="term-tablist" onKeyDown={onKeyDown}>
          {tabs.map((t) => (
            <span key={t.id} className="term-tab" data-active={t.id === active}>
              <button
                ref={(el) => {
                  tabButtons.current.set(t.id, el);
                }}
                type="button"
                role="tab"
                id={`term-tab-${t.id}`}
                aria-selected={t.id === active}
                aria-controls={`term-panel-${t.id}`}
                tabIndex={t.id === active ? 0 : -1}
                onClick={() => show(t.id)}
              >
                {t.title}
              </button>
              {t.kind === "docker" && t.closable && (
                <button type="button" className="icon-button term-close" aria-label={`Close ${t.title}`} title="Close" onClick={() => close(t.id)}>
                  <Icon name="close" size={10} />
                </button>
              )}
            </span>
          ))}
        </div>
        <button type="button" className="icon-button" aria-label="New docker terminal" title="New docker terminal" onClick={() => addDocker()}>
          <Icon name="plus" size={14} />
        </button>
      </div>
      {tabs.map((t) =>
        mounted.has(t.id) ? (
          <div key={t.id} role="tabpanel" id={`term-panel-${t.id}`} aria-labelledby={`term-tab-${t.id}`} className="term-panel" hidden={t.id !== active}>
            {t.kind === "docker" ? (
              <DockerTerminal
                ref={(h) => {
                  handles.current.set(t.id, h);
                }}
                theme={props.theme}
                active={t.id === active}
                guestRunning={!starting}
                initialCommand={t.initialCommand}
                autoFocus={t.autoFocus}
                label={`Docker terminal: ${t.title}`}
                testId={t.id === "docker-1" ? "docker-terminal" : t.id.replace("docker-", "docker-terminal-")}
              />
            ) : t.kind === "shell" ? (
              <GuestTerminal
                ref={(h) => {
                  focusers.current.set(t.id, h);
                }}
                theme={props.theme}
                active={t.id === active}
                autoFocus
              />
            ) : (
              <SerialConsole theme={props.theme} active={t.id === active} autoFocus />
            )}
          </div>
        ) : null,
      )}
    </div>
  );
}
