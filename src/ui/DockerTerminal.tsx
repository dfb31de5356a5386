// The docker terminal: xterm.js with a prompt and a line editor that runs
// `docker ...` lines with the CLI (src/cli) against the engine in the worker.
// `run -it` / `exec -it` switch it to raw mode: keys go straight to the
// container's tty until the session ends. `docker build` takes its context
// from the workspace, mounted at /workspace (the terminal's directory).
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { useEffect, useImperativeHandle, useRef, type Ref } from "react";
import { complete, runDocker, splitCommandLine, tokenize, type BuildContext, type CliIO } from "../cli/index.ts";
import { relativeInside } from "../cli/paths.ts";
import { getCliEngine, getWorkspace, terminalDrawn } from "./engine.ts";
import { LineEditor, type EditorAction } from "./line-editor.ts";
import type { Theme } from "./theme.ts";
import { terminalThemes } from "./terminal-theme.ts";

export interface DockerTerminalHandle {
  focus(): void;
  /** Types a command line at the prompt and runs it (after any command still running). */
  run(line: string): void;
}

export const WORKSPACE_DIR = "/workspace";
const PROMPT = "\x1b[1;34m$\x1b[0m ";
const HISTORY_KEY = "berth.dockerHistory";

export const HELP_TEXT = `This terminal runs the docker CLI against Berth's engine, in this tab.
Examples:
  docker run --rm busybox echo hello   run a command in a new container
  docker run -it --rm busybox sh       a shell in a container (exit to leave)
  docker build -t app .                build the workspace (the files on the left)
  docker images   docker ps -a   docker volume ls
  docker --help   docker run --help    every command and its flags
Here also: help, clear, history.
Keys: Tab completes; Up/Down history; Ctrl-A/E line start/end; Ctrl-U/K cut;
      Ctrl-W cut a word; Ctrl-L clear; Ctrl-C interrupts.
Tabs: + opens another docker terminal; "VM shell" is a shell in the Linux guest
itself; "VM console" is its serial console.
`;

function loadHistory(): string[] {
  try {
    const v = JSON.parse(sessionStorage.getItem(HISTORY_KEY) ?? "[]") as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

function saveHistory(history: string[]) {
  try {
    sessionStorage.setItem(HISTORY_KEY, JSON.stringify(history.slice(-500)));
  } catch {
    // history is a convenience
  }
}

let beforeContext: () => Promise<void> = async () => {};

/**
 * The environment `docker` sees in the page's terminals (`-e NAME`,
 * `--build-arg NAME`, and SOURCE_DATE_EPOCH for builds, as with buildx).
 */
const terminalEnv: Record<string, string | undefined> = { HOME: "/root" };

/** Sets (or, with undefined, unsets) a variable of the terminals' environment. */
export function setTerminalEnv(name: string, value: string | undefined) {
  if (value === undefined) delete terminalEnv[name];
  else terminalEnv[name] = value;
}

/** Called before a terminal's `docker build` reads the workspace (the page saves pending edits there). */
export function setBeforeContext(fn: () => Promise<void>) {
  beforeContext = fn;
}

/** The build context for `docker build PATH`: the workspace (or a folder of it). */
async function loadContext(path: string): Promise<BuildContext> {
  await beforeContext().catch(() => {});
  const rel = relativeInside(WORKSPACE_DIR, path);
  if (rel === null) throw new Error(`unable to prepare context: ${path} is outside the workspace (${WORKSPACE_DIR}, the files on the left)`);
  const prefix = rel === "" || rel === "." ? "" : rel.replace(/\/+$/, "") + "/";
  const files = await getWorkspace().snapshot();
  const inside = files.filter((f) => f.path.startsWith(prefix));
  if (prefix && inside.length === 0) throw new Error(`unable to prepare context: path "${rel}" not found in the workspace`);
  return inside.map((f) => ({ path: f.path.slice(prefix.length), data: f.data, mode: f.mode, mtime: f.mtime }));
}

type Mode = "prompt" | "completing" | "running" | "raw" | "readline";

interface Stdin {
  onData: (data: string) => void;
  onEnd?: () => void;
}

export function DockerTerminal(props: {
  ref?: Ref<DockerTerminalHandle>;
  theme: Theme;
  active: boolean;
  /** False while the guest starts: the prompt shows once it runs (keys typed before wait). */
  guestRunning?: boolean;
  /** Run first (an exec tab runs `docker exec -it ...`). */
  initialCommand?: string;
  label: string;
  testId?: string;
  /** Focus when it opens (a tab the user just asked for). */
  autoFocus?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const typeRef = useRef<(text: string) => void>(() => {});
  const fitRef = useRef<() => void>(() => {});
  const themeRef = useRef(props.theme);
  themeRef.current = props.theme;
  const initial = useRef(props.initialCommand);
  const autoFocus = useRef(props.autoFocus);
  const guestRunning = useRef(props.guestRunning !== false);
  const showPromptRef = useRef<() => void>(() => {});

  useImperativeHandle(props.ref, () => ({
    focus: () => termRef.current?.focus(),
    run: (line: string) => typeRef.current(line.replace(/\r?\n/g, " ") + "\r"),
  }));

  useEffect(() => {
    performance.mark("berth:terminal-mount");
    const term = new Terminal({
      fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
      fontSize: 14,
      cursorBlink: true,
      convertEol: true,
      theme: terminalThemes[themeRef.current],
      scrollback: 5000,
    });
    termRef.current = term;
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current!);
    const refit = () => {
      if (host.current && host.current.clientWidth > 0 && host.current.clientHeight > 0) fit.fit();
    };
    fitRef.current = refit;
    refit();
    const observer = new ResizeObserver(() => refit());
    observer.observe(host.current!);

    const engine = getCliEngine();
    const editor = new LineEditor({ write: (d) => term.write(d), columns: () => term.cols, history: loadHistory() });
    // Until the first prompt (the guest is starting), keys wait in the queue.
    let mode: Mode = "running";
    let queue = "";
    let continuation = "";
    let disposed = false;
    const stdinSubs = new Set<Stdin>();
    const interrupts = new Set<() => void>();
    const resizes = new Set<(s: { columns: number; rows: number }) => void>();
    let abort: AbortController | null = null;
    let readLineResolve: ((line: string | null) => void) | null = null;
    let readLineBuffer = "";

    const prompt = () => {
      if (disposed) return;
      // The prompt redraws its whole row: output that did not end its line
      // (printf abc, the ^C of an interrupt) keeps its row and the prompt
      // starts on the next. The callback runs once xterm has parsed all.
      term.write("", () => {
        if (disposed) return;
        if (term.buffer.active.cursorX > 0) term.write("\r\n");
        mode = "prompt";
        editor.start(continuation ? "> " : PROMPT);
        pump();
      });
    };

    const interrupt = () => {
      abort?.abort();
      for (const h of [...interrupts]) h();
    };

    const io = (): CliIO => ({
      stdout: (d) => term.write(d),
      stderr: (d) => term.write(d),
      isTTY: true,
      columns: term.cols,
      rows: term.rows,
      onResize: (h) => {
        resizes.add(h);
        return () => resizes.delete(h);
      },
      stdin: {
        isTTY: true,
        onData: (onData, onEnd) => {
          const sub: Stdin = { onData, onEnd };
          stdinSubs.add(sub);
          return () => stdinSubs.delete(sub);
        },
        setRawMode: (raw) => {
          if (raw) mode = "raw";
          else if (mode === "raw") mode = "running";
        },
        readLine: () =>
          new Promise<string | null>((resolve) => {
            mode = "readline";
            readLineBuffer = "";
            readLineResolve = resolve;
          }),
      },
      signal: abort!.signal,
      onInterrupt: (h) => {
        interrupts.add(h);
        return () => interrupts.delete(h);
      },
      env: terminalEnv,
      cwd: WORKSPACE_DIR,
      now: () => Date.now(),
      loadContext,
    });

    const builtin = (argv: string[]): boolean => {
      switch (argv[0]) {
        case "help":
          term.write(HELP_TEXT);
          return true;
        case "clear":
          term.write("\x1b[2J\x1b[3J\x1b[H");
          return true;
        case "history":
          editor.history.forEach((h, i) => term.write(`${String(i + 1).padStart(5)}  ${h}\n`));
          return true;
        default:
          return false;
      }
    };

    const execute = async (full: string) => {
      let argv: string[];
      try {
        argv = splitCommandLine(full);
      } catch (err) {
        term.write(`berth: ${(err as Error).message}\n`);
        return;
      }
      if (argv.length === 0) return;
      if (argv[0] === "sudo" && argv[1] === "docker") argv = argv.slice(1);
      if (argv[0] !== "docker") {
        if (builtin(argv)) return;
        term.write(
          `berth: ${argv[0]}: this terminal runs docker commands. Try \x1b[1mdocker run --rm busybox ${argv.join(" ")}\x1b[0m,\n` +
            `or the "VM shell" tab for a shell in the guest. Type \x1b[1mhelp\x1b[0m for more.\n`,
        );
        return;
      }
      if (argv.includes("|") || argv.includes(">") || argv.includes("&&")) {
        term.write("berth: pipes, redirections and && are not supported here: run one docker command per line.\n");
        return;
      }
      abort = new AbortController();
      mode = "running";
      try {
        await runDocker(argv.slice(1), io(), engine);
      } catch (err) {
        term.write(`berth: ${(err as Error).message}\n`);
      } finally {
        abort = null;
        stdinSubs.clear();
        interrupts.clear();
        resizes.clear();
      }
    };

    const submit = async (line: string) => {
      editor.finish();
      const full = continuation + line;
      if (tokenize(full).open) {
        // An open quote: go on on the next line.
        continuation = full + "\n";
        prompt();
        return;
      }
      continuation = "";
      editor.addHistory(full);
      saveHistory(editor.history);
      mode = "running";
      await execute(full);
      prompt();
    };

    const handle = (action: EditorAction) => {
      switch (action.type) {
        case "submit":
          void submit(action.line);
          return;
        case "interrupt":
          term.write("^C");
          editor.finish();
          continuation = "";
          prompt();
          return;
        case "eof":
          return;
        case "clear":
          term.write("\x1b[2J\x1b[3J\x1b[H");
          editor.redraw();
          return;
        case "complete":
          mode = "completing";
          complete(action.line, action.cursor, engine).then(
            (c) => {
              if (disposed) return;
              editor.applyCompletion(c);
              mode = "prompt";
              pump();
            },
            () => {
              mode = "prompt";
              pump();
            },
          );
          return;
      }
    };

    const pump = () => {
      while (queue && mode === "prompt") {
        const { used, action } = editor.feed(queue);
        queue = queue.slice(used);
        if (action) handle(action);
      }
    };

    const readLineInput = (data: string) => {
      for (const ch of data) {
        if (!readLineResolve) break;
        if (ch === "\r" || ch === "\n") {
          term.write("\r\n");
          const r = readLineResolve;
          readLineResolve = null;
          mode = "running";
          r(readLineBuffer);
        } else if (ch === "\x03" || ch === "\x04") {
          term.write(ch === "\x03" ? "^C\r\n" : "\r\n");
          const r = readLineResolve;
          readLineResolve = null;
          mode = "running";
          r(null);
          if (ch === "\x03") interrupt();
        } else if (ch === "\x7f" || ch === "\b") {
          if (readLineBuffer) {
            readLineBuffer = [...readLineBuffer].slice(0, -1).join("");
            term.write("\b \b");
          }
        } else if (ch >= " ") {
          readLineBuffer += ch;
          term.write(ch);
        }
      }
    };

    const onInput = (data: string) => {
      switch (mode) {
        case "raw":
          for (const s of [...stdinSubs]) s.onData(data);
          return;
        case "readline":
          readLineInput(data);
          return;
        case "running": {
          if (data.includes("\x03")) {
            term.write("^C");
            interrupt();
            data = data.replace(/\x03/g, "");
          }
          if (!data) return;
          if (stdinSubs.size > 0) {
            // docker run -i without a tty: cooked input, echoed here.
            if (data === "\x04") {
              for (const s of [...stdinSubs]) s.onEnd?.();
              return;
            }
            term.write(data.replace(/\r/g, "\r\n"));
            for (const s of [...stdinSubs]) s.onData(data.replace(/\r/g, "\n"));
            return;
          }
          queue += data; // type-ahead: runs after the command
          return;
        }
        default:
          queue += data;
          pump();
      }
    };

    const dataSub = term.onData(onInput);
    const resizeSub = term.onResize(({ cols, rows }) => {
      for (const h of [...resizes]) h({ columns: cols, rows });
    });
    typeRef.current = (text: string) => {
      queue += text;
      pump();
    };

    term.write(`Berth docker terminal. Type \x1b[1mhelp\x1b[0m for what you can type here.\n`);
    let prompted = false;
    showPromptRef.current = () => {
      if (prompted || disposed) return;
      prompted = true;
      prompt();
    };
    if (guestRunning.current) showPromptRef.current();
    // The first render that shows the prompt: the page then loads the rest (the editor).
    const drawn = term.onRender(() => {
      const buf = term.buffer.active;
      if (!buf.getLine(buf.baseY + buf.cursorY)?.translateToString().startsWith("$")) return;
      drawn.dispose();
      performance.mark("berth:terminal-prompt");
      terminalDrawn();
    });
    if (initial.current) typeRef.current(initial.current + "\r");
    if (autoFocus.current) term.focus();

    return () => {
      disposed = true;
      interrupt();
      for (const s of [...stdinSubs]) s.onEnd?.();
      dataSub.dispose();
      drawn.dispose();
      resizeSub.dispose();
      observer.disconnect();
      term.dispose();
      termRef.current = null;
      typeRef.current = () => {};
    };
  }, []);

  useEffect(() => {
    if (termRef.current) termRef.current.options.theme = terminalThemes[props.theme];
  }, [props.theme]);

  // The first prompt, once the guest runs.
  useEffect(() => {
    guestRunning.current = props.guestRunning !== false;
    if (guestRunning.current) showPromptRef.current();
  }, [props.guestRunning]);

  // Switching to this tab fits and focuses it (not on first mount: the user may be typing elsewhere).
  const wasActive = useRef(props.active);
  useEffect(() => {
    if (props.active && !wasActive.current) {
      fitRef.current();
      termRef.current?.focus();
    }
    wasActive.current = props.active;
  }, [props.active]);

  return <div className="guest-terminal docker-terminal" ref={host} data-testid={props.testId ?? "docker-terminal"} aria-label={props.label} />;
}
