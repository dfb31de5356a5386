// The centre editor: one Monaco editor, one model per open file. Workspace
// files save themselves (debounced) as you type; Dockerfiles get diagnostics
// (our parser's, which say what the build would, and dockerfile-utils' lint;
// see diagnostics.ts), shown as markers and in a Problems list below.
import { useEffect, useImperativeHandle, useRef, useState, type Ref } from "react";
import { clearMarkers, languageForPath, monaco, registerDockerfileSupport, updateDockerfileMarkers } from "./monaco.ts";
import { Icon } from "./icons.tsx";
import type { Theme } from "./theme.ts";

export interface EditorHandle {
  /** Writes every pending change now (Ctrl+S, before a rename or a share). */
  flush(): Promise<void>;
  focus(): void;
  /** Shows `line` of `path` with the cursor on it (now, or once the file opens). */
  reveal(path: string, line: number): void;
}

export type SaveState = { state: "idle" } | { state: "saving" } | { state: "saved"; at: number } | { state: "error"; message: string };

export interface EditorPaneProps {
  ref?: Ref<EditorHandle>;
  /** Where the files come from: "workspace" (editable, saved) or "shared" (a link, read-only). */
  scope: "workspace" | "shared";
  path: string | null;
  /** The paths that exist in `scope`; models of others are dropped. */
  paths: ReadonlySet<string>;
  /** Changing it drops every model (the workspace was replaced). */
  resetKey: number;
  mode: number | null;
  theme: Theme;
  load(path: string): Promise<Uint8Array>;
  save?(path: string, text: string): Promise<void>;
  onSaveState?(state: SaveState): void;
  onSetExecutable?(path: string, executable: boolean): void;
  onDownload(path: string): void;
  /** Shown when no file is open. */
  emptyHint: React.ReactNode;
}

interface Problem {
  severity: "error" | "warning" | "info";
  message: string;
  line: number;
  column: number;
}

type View = { kind: "none" } | { kind: "loading" } | { kind: "text" } | { kind: "binary"; size: number } | { kind: "error"; message: string };

const SAVE_DELAY = 400;
const LINT_DELAY = 250;
const MAX_EDIT_BYTES = 4 * 1024 * 1024;
const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeText(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

export function EditorPane(props: EditorPaneProps) {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const models = useRef(new Map<string, monaco.editor.ITextModel>());
  const viewStates = useRef(new Map<string, monaco.editor.ICodeEditorViewState | null>());
  const pending = useRef(new Map<string, { timer: ReturnType<typeof setTimeout>; path: string }>());
  const inflight = useRef(new Set<Promise<void>>());
  const lintTimers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const [view, setView] = useState<View>({ kind: "none" });
  const [problems, setProblems] = useState<Problem[]>([]);
  const [problemsOpen, setProblemsOpen] = useState(true);
  const latest = useRef(props);
  latest.current = props;
  const currentKey = useRef<string | null>(null);

  const keyFor = (path: string) => `${latest.current.scope}:${path}`;

  const report = (state: SaveState) => latest.current.onSaveState?.(state);

  const saveNow = (key: string, path: string): Promise<void> => {
    const entry = pending.current.get(key);
    if (entry) clearTimeout(entry.timer);
    pending.current.delete(key);
    const model = models.current.get(key);
    const save = latest.current.save;
    if (!model || !save || model.isDisposed()) return Promise.resolve();
    report({ state: "saving" });
    const p = save(path, model.getValue()).then(
      () => {
        inflight.current.delete(p);
        if (pending.current.size === 0 && inflight.current.size === 0) report({ state: "saved", at: Date.now() });
      },
      (err: Error) => {
        inflight.current.delete(p);
        report({ state: "error", message: err.message });
      },
    );
    inflight.current.add(p);
    return p;
  };

  const flush = async () => {
    await Promise.all([...pending.current].map(([key, { path }]) => saveNow(key, path)));
    await Promise.all([...inflight.current]);
  };

  const lint = (key: string) => {
    const model = models.current.get(key);
    if (!model || model.isDisposed()) return;
    if (model.getLanguageId() !== "dockerfile") {
      clearMarkers(model);
      if (key === currentKey.current) setProblems([]);
      return;
    }
    const markers = updateDockerfileMarkers(model);
    if (key === currentKey.current) {
      setProblems(
        markers.map((m) => ({
          severity: m.severity === monaco.MarkerSeverity.Error ? "error" : m.severity === monaco.MarkerSeverity.Warning ? "warning" : "info",
          message: m.message,
          line: m.startLineNumber,
          column: m.startColumn,
        })),
      );
    }
  };

  const dispose = (key: string) => {
    const p = pending.current.get(key);
    if (p) clearTimeout(p.timer);
    pending.current.delete(key);
    const t = lintTimers.current.get(key);
    if (t) clearTimeout(t);
    lintTimers.current.delete(key);
    viewStates.current.delete(key);
    const model = models.current.get(key);
    models.current.delete(key);
    if (model && editorRef.current?.getModel() === model) editorRef.current.setModel(null);
    model?.dispose();
  };

  const pendingReveal = useRef<{ key: string; line: number } | null>(null);
  const revealNow = (line: number) => {
    const editor = editorRef.current;
    if (!editor) return;
    editor.revealLineInCenter(line);
    editor.setPosition({ lineNumber: line, column: 1 });
    editor.focus();
  };

  useImperativeHandle(props.ref, () => ({
    flush,
    focus: () => editorRef.current?.focus(),
    reveal: (path: string, line: number) => {
      const key = keyFor(path);
      const model = models.current.get(key);
      if (currentKey.current === key && model && editorRef.current?.getModel() === model) revealNow(line);
      else pendingReveal.current = { key, line };
    },
  }));

  // The editor itself, once.
  useEffect(() => {
    registerDockerfileSupport();
    const editor = monaco.editor.create(host.current!, {
      model: null,
      automaticLayout: true,
      fontSize: 14,
      fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      renderWhitespace: "selection",
      tabSize: 4,
      insertSpaces: true,
      ariaLabel: "File editor",
      fixedOverflowWidgets: true,
      unicodeHighlight: { ambiguousCharacters: true, invisibleCharacters: true },
    });
    editorRef.current = editor;
    const modelMap = models.current;
    return () => {
      void flush();
      editor.dispose();
      editorRef.current = null;
      for (const key of [...modelMap.keys()]) dispose(key);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    monaco.editor.setTheme(props.theme === "dark" ? "vs-dark" : "vs");
  }, [props.theme]);

  useEffect(() => {
    editorRef.current?.updateOptions({ readOnly: props.scope === "shared" });
  }, [props.scope]);

  // The workspace was replaced: every model is stale.
  const firstReset = useRef(true);
  useEffect(() => {
    if (firstReset.current) {
      firstReset.current = false;
      return;
    }
    for (const key of [...models.current.keys()]) dispose(key);
  }, [props.resetKey]);

  // Files that no longer exist (deleted, renamed away).
  useEffect(() => {
    for (const key of [...models.current.keys()]) {
      const [scope, ...rest] = key.split(":");
      if (scope === props.scope && !props.paths.has(rest.join(":"))) dispose(key);
    }
  }, [props.paths, props.scope]);

  // Open the selected file.
  useEffect(() => {
    const editor = editorRef.current;
    if (!editor) return;
    const previous = currentKey.current;
    if (previous && models.current.has(previous)) viewStates.current.set(previous, editor.saveViewState());
    const path = props.path;
    if (!path) {
      currentKey.current = null;
      editor.setModel(null);
      setView({ kind: "none" });
      setProblems([]);
      return;
    }
    const key = keyFor(path);
    currentKey.current = key;
    const show = (model: monaco.editor.ITextModel) => {
      editor.setModel(model);
      const state = viewStates.current.get(key);
      if (state) editor.restoreViewState(state);
      setView({ kind: "text" });
      lint(key);
      if (pendingReveal.current?.key === key) {
        const line = pendingReveal.current.line;
        pendingReveal.current = null;
        revealNow(line);
      }
    };
    const cached = models.current.get(key);
    if (cached && !cached.isDisposed()) {
      show(cached);
      return;
    }
    let cancelled = false;
    setView({ kind: "loading" });
    setProblems([]);
    editor.setModel(null);
    props.load(path).then(
      (bytes) => {
        if (cancelled || currentKey.current !== key) return;
        const text = bytes.byteLength <= MAX_EDIT_BYTES ? decodeText(bytes) : null;
        if (text === null) {
          setView({ kind: "binary", size: bytes.byteLength });
          return;
        }
        const uri = monaco.Uri.from({ scheme: `berth-${props.scope}`, path: "/" + path });
        monaco.editor.getModel(uri)?.dispose();
        const model = monaco.editor.createModel(text, languageForPath(path), uri);
        models.current.set(key, model);
        model.onDidChangeContent(() => {
          if (latest.current.scope === "workspace" && key.startsWith("workspace:")) {
            const old = pending.current.get(key);
            if (old) clearTimeout(old.timer);
            pending.current.set(key, { path, timer: setTimeout(() => void saveNow(key, path), SAVE_DELAY) });
            report({ state: "saving" });
          }
          const t = lintTimers.current.get(key);
          if (t) clearTimeout(t);
          lintTimers.current.set(key, setTimeout(() => lint(key), LINT_DELAY));
        });
        show(model);
      },
      (err: Error) => {
        if (!cancelled && currentKey.current === key) setView({ kind: "error", message: err.message });
      },
    );
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.path, props.scope, props.resetKey]);

  // Save what is pending when the page goes away (best effort).
  useEffect(() => {
    const onHide = () => void flush();
    window.addEventListener("pagehide", onHide);
    document.addEventListener("visibilitychange", onHide);
    return () => {
      window.removeEventListener("pagehide", onHide);
      document.removeEventListener("visibilitychange", onHide);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const errors = problems.filter((p) => p.severity === "error").length;
  const warnings = problems.filter((p) => p.severity === "warning").length;
  const notes = problems.length - errors - warnings;
  const isDockerfile = props.path ? languageForPath(props.path) === "dockerfile" : false;
  const executable = props.mode !== null && (props.mode & 0o111) !== 0;

  return (
    <section className="editor-pane" aria-label="Editor">
      <div className="editor-bar">
        {props.path ? (
          <>
            <span className="editor-path" data-testid="editor-path" title={props.path}>
              {props.path}
            </span>
            {props.scope === "shared" && <span className="badge">read-only: from a shared link</span>}
            <span className="spacer" />
            {props.scope === "workspace" && props.mode !== null && view.kind !== "none" && (
              <label className="check" title="chmod +x: COPY keeps the mode">
                <input type="checkbox" checked={executable} onChange={(e) => props.onSetExecutable?.(props.path!, e.target.checked)} />
                Executable
              </label>
            )}
            <button type="button" className="small" onClick={() => props.onDownload(props.path!)} aria-label={`Download ${props.path}`}>
              Download
            </button>
          </>
        ) : (
          <span className="muted">No file open</span>
        )}
      </div>
      <div className="editor-body">
        <div ref={host} className="monaco-host" data-testid="editor" hidden={view.kind !== "text"} />
        {view.kind === "none" && <div className="editor-empty">{props.emptyHint}</div>}
        {view.kind === "loading" && <div className="editor-empty muted">Opening…</div>}
        {view.kind === "binary" && (
          <div className="editor-empty">
            <p>This file is binary or too large to edit here ({view.size} bytes).</p>
            <button type="button" onClick={() => props.onDownload(props.path!)}>
              Download it
            </button>
          </div>
        )}
        {view.kind === "error" && (
          <div className="editor-empty" role="alert">
            Could not open the file: {view.message}
          </div>
        )}
      </div>
      {isDockerfile && view.kind === "text" && (
        <div className="problems" data-testid="problems">
          <button type="button" className="problems-summary" aria-expanded={problemsOpen} onClick={() => setProblemsOpen((o) => !o)}>
            <Icon name={problemsOpen ? "chevronDown" : "chevronRight"} size={12} />{" "}
            {problems.length === 0
              ? "No problems"
              : `Problems: ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}${notes ? `, ${notes} note${notes === 1 ? "" : "s"}` : ""}`}
          </button>
          {problemsOpen && problems.length > 0 && (
            <ul aria-label="Problems" aria-live="polite">
              {problems.map((p, i) => (
                <li key={i} className={p.severity}>
                  <button
                    type="button"
                    onClick={() => {
                      const editor = editorRef.current;
                      if (!editor) return;
                      editor.revealLineInCenter(p.line);
                      editor.setPosition({ lineNumber: p.line, column: p.column });
                      editor.focus();
                    }}
                  >
                    <span className="sev">{p.severity === "error" ? "Error" : p.severity === "warning" ? "Warning" : "Note"}</span> line {p.line}: {p.message}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
