import { FitAddon } from "@xterm/addon-fit";
import { Terminal, type ITheme } from "@xterm/xterm";
import { useEffect, useImperativeHandle, useRef, type Ref } from "react";
import { Comlink, getEngine } from "./engine.ts";
import type { Theme } from "./theme.ts";

export interface TerminalHandle {
  focus(): void;
}

/** Commands to type into the shell, once each (`id` tells a new batch from a re-render). */
export interface RunRequest {
  id: number;
  commands: string[];
}

const themes: Record<Theme, ITheme> = {
  dark: { background: "#101418", foreground: "#e6edf3", cursor: "#e6edf3", selectionBackground: "#3b5070" },
  light: { background: "#fbfcfd", foreground: "#1b1f24", cursor: "#1b1f24", selectionBackground: "#c8d7f5", black: "#1b1f24", white: "#8c959f", brightWhite: "#6e7781" },
};

/** An xterm.js terminal attached to a login shell in the guest (over the agent, on a tty). */
export function GuestTerminal(props: { ref?: Ref<TerminalHandle>; theme: Theme; run: RunRequest | null }) {
  const host = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const shellId = useRef<number | null>(null);
  const ranId = useRef<number | null>(null);
  const runRef = useRef(props.run);
  const themeRef = useRef(props.theme);
  themeRef.current = props.theme;
  runRef.current = props.run;

  // Types the pending batch of commands into the shell, if the shell is up.
  const runPending = () => {
    const run = runRef.current;
    if (!run || shellId.current === null || ranId.current === run.id) return;
    ranId.current = run.id;
    if (run.commands.length) void getEngine().write(shellId.current, run.commands.join("\n") + "\n");
  };

  useImperativeHandle(props.ref, () => ({ focus: () => termRef.current?.focus() }));

  useEffect(() => {
    const term = new Terminal({
      fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
      fontSize: 14,
      cursorBlink: true,
      theme: themes[themeRef.current],
      screenReaderMode: false,
    });
    termRef.current = term;
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current!);
    const refit = () => {
      if (host.current && host.current.clientWidth > 0 && host.current.clientHeight > 0) fit.fit();
    };
    refit();
    const engine = getEngine();
    let disposed = false;
    const dataSub = term.onData((d) => shellId.current !== null && engine.write(shellId.current, d));
    const resizeSub = term.onResize(({ rows, cols }) => shellId.current !== null && engine.resize(shellId.current, rows, cols));
    // The panel can be resized (splitter, window): fit to it.
    const observer = new ResizeObserver(() => refit());
    observer.observe(host.current!);
    engine
      .openShell(
        term.rows,
        term.cols,
        Comlink.proxy((bytes: Uint8Array) => term.write(bytes)),
        Comlink.proxy((code: number) => term.write(`\r\n[shell exited with code ${code}]\r\n`)),
      )
      .then(
        (id) => {
          if (disposed) {
            void engine.write(id, "exit\n");
            return;
          }
          shellId.current = id;
          runPending();
        },
        (err: Error) => term.write(`\r\nberth: could not start a shell: ${err.message}\r\n`),
      );
    return () => {
      disposed = true;
      if (shellId.current !== null) void engine.write(shellId.current, "exit\n");
      shellId.current = null;
      dataSub.dispose();
      resizeSub.dispose();
      observer.disconnect();
      term.dispose();
      termRef.current = null;
    };
  }, []);

  useEffect(() => {
    if (termRef.current) termRef.current.options.theme = themes[props.theme];
  }, [props.theme]);

  useEffect(() => {
    runPending();
  }, [props.run]);

  return <div className="guest-terminal" ref={host} data-testid="terminal" aria-label="Guest terminal" />;
}
