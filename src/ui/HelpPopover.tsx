// Keyboard shortcuts, in a small popover from the header.
import { useEffect, useId, useRef } from "react";

const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);
export const MOD = isMac ? "⌘" : "Ctrl";

export const SHORTCUTS: [keys: string, what: string][] = [
  [`${MOD}+S`, "Save now (files also save themselves as you type)"],
  [`${MOD}+B`, "Build the workspace (the Build panel)"],
  [`${MOD}+Enter`, "Run the built image in the docker terminal"],
  [`${MOD}+\``, "Focus the terminal"],
  [`${MOD}+E`, "Focus the file tree"],
  ["Alt+1 … 4", "Build, Images, Containers, Volumes panel"],
  ["F6 / Shift+F6", "Next / previous pane (tree, editor, terminal, panel)"],
  ["Tab, ↑ ↓", "Complete, and history (in the docker terminal)"],
  ["F1", "Editor commands (in the editor)"],
  [`${MOD}+Space`, "Complete a Dockerfile instruction (in the editor)"],
  [`${isMac ? "⌃⇧M" : "Ctrl+M"}`, "Tab moves focus out of the editor (toggle)"],
  ["?", "This help (outside text fields)"],
];

export function HelpPopover(props: { open: boolean; onOpenChange(open: boolean): void }) {
  const id = useId();
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const { open, onOpenChange } = props;

  useEffect(() => {
    if (!open) return;
    box.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        onOpenChange(false);
        button.current?.focus();
      }
    };
    const onPointer = (e: PointerEvent) => {
      const t = e.target as Node;
      if (!box.current?.contains(t) && !button.current?.contains(t)) onOpenChange(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onPointer);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onPointer);
    };
  }, [open, onOpenChange]);

  return (
    <span className="popover-anchor">
      <button
        ref={button}
        type="button"
        className="icon-button"
        aria-label="Keyboard shortcuts"
        aria-expanded={open}
        aria-controls={id}
        title="Keyboard shortcuts (?)"
        onClick={() => onOpenChange(!open)}
      >
        ?
      </button>
      {open && (
        <div ref={box} id={id} className="popover" role="dialog" aria-label="Keyboard shortcuts" tabIndex={-1} data-testid="help">
          <h2>Keyboard shortcuts</h2>
          <dl>
            {SHORTCUTS.map(([k, what]) => (
              <div key={k}>
                <dt>
                  <kbd>{k}</kbd>
                </dt>
                <dd>{what}</dd>
              </div>
            ))}
          </dl>
        </div>
      )}
    </span>
  );
}
