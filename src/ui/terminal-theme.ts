// xterm.js colours for the light and dark themes (all terminals share them).
import type { ITheme } from "@xterm/xterm";
import type { Theme } from "./theme.ts";

export const terminalThemes: Record<Theme, ITheme> = {
  dark: { background: "#101418", foreground: "#e6edf3", cursor: "#e6edf3", selectionBackground: "#3b5070" },
  light: {
    background: "#fbfcfd",
    foreground: "#1b1f24",
    cursor: "#1b1f24",
    selectionBackground: "#c8d7f5",
    black: "#1b1f24",
    white: "#8c959f",
    brightWhite: "#6e7781",
    blue: "#0550ae",
    brightBlue: "#0969da",
  },
};
