// The right panel: Build, Images, Containers, Volumes. Placeholders for now;
// they fill in as the builder and the engine's objects land.
import { useRef, type KeyboardEvent } from "react";

export const SIDE_TABS = ["Build", "Images", "Containers", "Volumes"] as const;
export type SideTab = (typeof SIDE_TABS)[number];

const placeholders: Record<SideTab, string> = {
  Build: "Builds of the workspace's Dockerfile will show here, step by step, with what came from the cache. Ctrl+B (⌘B) will start one.",
  Images: "Images in the engine will be listed here: the bundled busybox and what you build.",
  Containers: "Containers will be listed here, with their state, logs and a shell into each.",
  Volumes: "Volumes will be listed here: named volumes outlive the containers that use them.",
};

export function SidePanel(props: { tab: SideTab; onTab(tab: SideTab): void; notes?: Partial<Record<SideTab, string>> }) {
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);

  // Arrow keys move between tabs (WAI-ARIA tabs pattern, automatic activation).
  const onKeyDown = (e: KeyboardEvent) => {
    const i = SIDE_TABS.indexOf(props.tab);
    let next = -1;
    if (e.key === "ArrowRight") next = (i + 1) % SIDE_TABS.length;
    else if (e.key === "ArrowLeft") next = (i - 1 + SIDE_TABS.length) % SIDE_TABS.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = SIDE_TABS.length - 1;
    if (next < 0) return;
    e.preventDefault();
    props.onTab(SIDE_TABS[next]);
    tabs.current[next]?.focus();
  };

  return (
    <aside className="side-panel" aria-label="Engine">
      <div className="tabs" role="tablist" aria-label="Engine views" onKeyDown={onKeyDown}>
        {SIDE_TABS.map((t, i) => (
          <button
            key={t}
            ref={(el) => {
              tabs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`side-tab-${t}`}
            aria-selected={props.tab === t}
            aria-controls={`side-panel-${t}`}
            tabIndex={props.tab === t ? 0 : -1}
            onClick={() => props.onTab(t)}
          >
            {t}
          </button>
        ))}
      </div>
      {SIDE_TABS.map((t) => (
        <div key={t} role="tabpanel" id={`side-panel-${t}`} aria-labelledby={`side-tab-${t}`} hidden={props.tab !== t} className="tab-panel" data-testid={`panel-${t.toLowerCase()}`}>
          {props.notes?.[t] && (
            <p className="note" role="status">
              {props.notes[t]}
            </p>
          )}
          <p className="muted">{placeholders[t]}</p>
        </div>
      ))}
    </aside>
  );
}
