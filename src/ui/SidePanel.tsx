// The right panel: Build, Images, Containers, Volumes, as tabs. Each panel
// stays mounted while hidden, so a build or a log follow goes on.
import { useRef, type KeyboardEvent, type ReactNode } from "react";

export const SIDE_TABS = ["Build", "Images", "Containers", "Volumes"] as const;
export type SideTab = (typeof SIDE_TABS)[number];

export function SidePanel(props: { tab: SideTab; onTab(tab: SideTab): void; panels: Record<SideTab, ReactNode> }) {
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
            aria-keyshortcuts={`Alt+${i + 1}`}
            title={`${t} (Alt+${i + 1})`}
            tabIndex={props.tab === t ? 0 : -1}
            onClick={() => props.onTab(t)}
          >
            {t}
          </button>
        ))}
      </div>
      {SIDE_TABS.map((t) => (
        <div key={t} role="tabpanel" id={`side-panel-${t}`} aria-labelledby={`side-tab-${t}`} hidden={props.tab !== t} className="tab-panel" data-testid={`panel-${t.toLowerCase()}`}>
          {props.panels[t]}
        </div>
      ))}
    </aside>
  );
}
