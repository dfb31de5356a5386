import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { useEffect, useRef } from "react";
import { Comlink, getEngine } from "./engine.ts";

/** An xterm.js terminal attached to a login shell in the guest (over the agent, on a tty). */
export function GuestTerminal() {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const term = new Terminal({
      fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
      fontSize: 14,
      cursorBlink: true,
      theme: { background: "#101418" },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current!);
    fit.fit();
    const engine = getEngine();
    let id: number | null = null;
    let disposed = false;
    const dataSub = term.onData((d) => id !== null && engine.write(id, d));
    const resizeSub = term.onResize(({ rows, cols }) => id !== null && engine.resize(id, rows, cols));
    const onWindowResize = () => fit.fit();
    window.addEventListener("resize", onWindowResize);
    engine
      .openShell(
        term.rows,
        term.cols,
        Comlink.proxy((bytes: Uint8Array) => term.write(bytes)),
        Comlink.proxy((code: number) => term.write(`\r\n[shell exited with code ${code}]\r\n`)),
      )
      .then(
        (shellId) => {
          if (disposed) return;
          id = shellId;
          term.focus();
        },
        (err: Error) => term.write(`\r\nberth: could not start a shell: ${err.message}\r\n`),
      );
    return () => {
      disposed = true;
      if (id !== null) engine.write(id, "exit\n");
      dataSub.dispose();
      resizeSub.dispose();
      window.removeEventListener("resize", onWindowResize);
      term.dispose();
    };
  }, []);

  return <div className="terminal" ref={host} data-testid="terminal" aria-label="Guest terminal" />;
}
