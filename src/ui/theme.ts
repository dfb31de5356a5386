// Light and dark themes: follow the system unless the user picks one; the
// choice is remembered in localStorage (a UI preference, not workspace data).
import { useCallback, useEffect, useState } from "react";

export type ThemePreference = "system" | "light" | "dark";
export type Theme = "light" | "dark";

const KEY = "berth.theme";
const ORDER: ThemePreference[] = ["system", "light", "dark"];

function readPreference(): ThemePreference {
  try {
    const v = localStorage.getItem(KEY);
    if (v === "light" || v === "dark" || v === "system") return v;
  } catch {
    // storage disabled: follow the system
  }
  return "system";
}

function systemTheme(): Theme {
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function useTheme(): { preference: ThemePreference; theme: Theme; cycle: () => void } {
  const [preference, setPreference] = useState<ThemePreference>(readPreference);
  const [system, setSystem] = useState<Theme>(systemTheme);

  useEffect(() => {
    if (typeof matchMedia !== "function") return;
    const mq = matchMedia("(prefers-color-scheme: dark)");
    const onChange = () => setSystem(mq.matches ? "dark" : "light");
    mq.addEventListener("change", onChange);
    return () => mq.removeEventListener("change", onChange);
  }, []);

  const theme: Theme = preference === "system" ? system : preference;

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    document.documentElement.style.colorScheme = theme;
  }, [theme]);

  const cycle = useCallback(() => {
    setPreference((p) => {
      const next = ORDER[(ORDER.indexOf(p) + 1) % ORDER.length];
      try {
        localStorage.setItem(KEY, next);
      } catch {
        // not remembered; still applied
      }
      return next;
    });
  }, []);

  return { preference, theme, cycle };
}
