import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { useEffect, useImperativeHandle, useRef, type Ref } from "react";
import { Comlink, getEngine } from "./engine.ts";
import { terminalThemes } from "./terminal-theme.ts";
import type { Theme } from "./theme.ts";

export interface TerminalHandle {
  focus(): void;
}

/** Fits on show, focuses when switched to (not on first mount). */
function useActive(active: boolean, fit: React.RefObject<() => void>, term: React.RefObject<Terminal | null>) {
  const was = useRef(active);
  useEffect(() => {
    if (active) fit.current();
    if (active && !was.current) term.current?.focus();
    was.current = active;
  }, [active, fit, term]);
}

function makeTerminal(host: HTMLDivElement, theme: Theme) {
  const term = new Terminal({
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    fontSize: 14,
    cursorBlink: true,
    theme: terminalThemes[theme],
    screenReaderMode: false,
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(host);
  const refit = () => {
    if (host.clientWidth > 0 && host.clientHeight > 0) fit.fit();
  };
  refit();
  // The panel can be resized (splitter, window): fit to it.
  const observer = new ResizeObserver(() => refit());
  observer.observe(host);
  return { term, refit, dispose: () => (observer.disconnect(), term.dispose()) };
}

/** The VM shell: xterm.js attached to a login shell in the guest itself (over the agent, on a tty). */
export function GuestTerminal(props: { ref?: Ref<TerminalHandle>; theme: Theme; active: boolean; autoFocus?: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const fitRef = useRef<() => void>(() => {});
  const themeRef = useRef(props.theme);
  themeRef.current = props.theme;
  const autoFocus = useRef(props.autoFocus);

  useImperativeHandle(props.ref, () => ({ focus: () => termRef.current?.focus() }));

  useEffect(() => {
    const { term, refit, dispose } = makeTerminal(host.current!, themeRef.current);
    termRef.current = term;
    fitRef.current = refit;
    const engine = getEngine();
    let shellId: number | null = null;
    let disposed = false;
    const dataSub = term.onData((d) => shellId !== null && engine.write(shellId, d));
    const resizeSub = term.onResize(({ rows, cols }) => shellId !== null && engine.resize(shellId, rows, cols));
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
          shellId = id;
        },
        (err: Error) => term.write(`\r\nberth: could not start a shell: ${err.message}\r\n`),
      );
    if (autoFocus.current) term.focus();
    return () => {
      disposed = true;
      if (shellId !== null) void engine.write(shellId, "exit\n");
      dataSub.dispose();
      resizeSub.dispose();
      dispose();
      termRef.current = null;
    };
  }, []);

  useEffect(() => {
    if (termRef.current) termRef.current.options.theme = terminalThemes[props.theme];
  }, [props.theme]);

  useActive(props.active, fitRef, termRef);

  return <div className="guest-terminal" ref={host} data-testid="terminal" aria-label="VM shell: a shell in the Linux guest" />;
}

// The serial console: one subscription per page (the worker offers no unsubscribe),
// kept in a bounded buffer so the tab shows what came before it opened.
const SERIAL_KEEP = 256 * 1024;
const serialBuffer: Uint8Array[] = [];
let serialBytes = 0;
let serialListener: ((b: Uint8Array) => void) | null = null;
let serialSubscribed = false;

function subscribeSerial() {
  if (serialSubscribed) return;
  serialSubscribed = true;
  void getEngine()
    .onSerial(
      Comlink.proxy((bytes: Uint8Array) => {
        serialBuffer.push(bytes);
        serialBytes += bytes.length;
        while (serialBytes > SERIAL_KEEP && serialBuffer.length > 1) serialBytes -= serialBuffer.shift()!.length;
        serialListener?.(bytes);
      }),
    )
    .catch(() => {
      serialSubscribed = false;
    });
}

/** The VM console: the guest's serial port (kernel messages, a getty if the guest runs one). */
export function SerialConsole(props: { theme: Theme; active: boolean; autoFocus?: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const fitRef = useRef<() => void>(() => {});
  const themeRef = useRef(props.theme);
  themeRef.current = props.theme;
  const autoFocus = useRef(props.autoFocus);

  useEffect(() => {
    const { term, refit, dispose } = makeTerminal(host.current!, themeRef.current);
    term.options.convertEol = true;
    termRef.current = term;
    fitRef.current = refit;
    for (const b of serialBuffer) term.write(b);
    serialListener = (b) => term.write(b);
    subscribeSerial();
    const dataSub = term.onData((d) => void getEngine().serialWrite(d));
    if (autoFocus.current) term.focus();
    return () => {
      serialListener = null;
      dataSub.dispose();
      dispose();
      termRef.current = null;
    };
  }, []);

  useEffect(() => {
    if (termRef.current) termRef.current.options.theme = terminalThemes[props.theme];
  }, [props.theme]);

  useActive(props.active, fitRef, termRef);

  return <div className="guest-terminal" ref={host} data-testid="serial-console" aria-label="VM console: the guest's serial port" />;
}

