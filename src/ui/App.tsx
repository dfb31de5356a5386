import { Suspense, lazy, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { StartProgress } from "../engine/worker.ts";
import { workspacePathProblem, type WorkspaceEntry } from "../engine/workspace.ts";
import { BuildPanel, contextFromWorkspace, type BuildSettings } from "./BuildPanel.tsx";
import { ContainersPanel } from "./ContainersPanel.tsx";
import { setBeforeContext, setTerminalEnv } from "./DockerTerminal.tsx";
import { isDockerfileName } from "./diagnostics.ts";
import { useConfirm } from "./Dialog.tsx";
import type { EditorHandle, SaveState } from "./EditorPane.tsx";
import { Comlink, afterGuestStart, buildStore, getDocker, getEngine, getWorkspace } from "./engine.ts";
import { EXAMPLES, type Example } from "./examples.ts";
import { FileTree, type UploadItem } from "./FileTree.tsx";
import { HelpPopover, MOD } from "./HelpPopover.tsx";
import { Icon } from "./icons.tsx";
import { ImagesPanel } from "./ImagesPanel.tsx";
import { SharedBanner, ShareDialog } from "./ShareDialog.tsx";
import { ShareError, decodeShare, formatBytes, isShareFragment, type SharePayload } from "./share.ts";
import { SIDE_TABS, SidePanel, type SideTab } from "./SidePanel.tsx";
import { StatusLine, type GuestStatus } from "./StatusLine.tsx";
import { TerminalTabs, type TerminalTabsHandle } from "./TerminalTabs.tsx";
import { useTheme } from "./theme.ts";
import { useEngineState } from "./use-engine.ts";
import { VolumesPanel } from "./VolumesPanel.tsx";

// Monaco is large: it loads in its own chunk once the guest has started, so that it does not slow the start.
const EditorPane = lazy(() => afterGuestStart().then(() => import("./EditorPane.tsx")).then((m) => ({ default: m.EditorPane })));

type Status =
  | { state: "starting"; progress: StartProgress }
  | { state: "ready"; info: { mode: string; ms: number } }
  | { state: "failed"; message: string };

const phaseLabel: Record<string, string> = {
  manifest: "Reading the guest manifest",
  "bios.bin": "Loading the BIOS",
  "vgabios.bin": "Loading the BIOS",
  "state.bin.gz": "Loading the saved machine",
  bzImage: "Loading the kernel",
  "initrd.cpio": "Loading the initramfs",
  decompress: "Unpacking the saved machine",
  restore: "Restoring the guest",
  boot: "Booting the guest",
  ready: "Ready",
};

let startPromise: Promise<{ mode: string; ms: number }> | null = null;

function startGuest(onProgress: (p: StartProgress) => void) {
  // One guest per page, also under React's StrictMode double effects.
  startPromise ??= getEngine().start(new URL("./", document.baseURI).href, Comlink.proxy(onProgress));
  return startPromise;
}

type Notice = { kind: "error" | "info"; text: string } | null;

type Shared = { state: "loading" } | { state: "ready"; payload: SharePayload } | { state: "error"; message: string } | null;

const TERMINAL_HEIGHT_KEY = "berth.terminalHeight";
const LAST_FILE_KEY = "berth.lastFile";
const BUILD_SETTINGS_KEY = "berth.build";
/** How long an informational notice ("Loaded the … example.") stays. */
const INFO_NOTICE_MS = 8000;
const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;

function storedNumber(key: string, fallback: number): number {
  try {
    const n = Number(localStorage.getItem(key));
    return Number.isFinite(n) && n > 0 ? n : fallback;
  } catch {
    return fallback;
  }
}

function remember(key: string, value: string | null) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // preferences only
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);

function isEditable(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.closest) return false;
  return !!el.closest("input, textarea, select, [contenteditable=true], .monaco-editor, .guest-terminal");
}

function storedBuildSettings(): BuildSettings {
  try {
    const v = JSON.parse(localStorage.getItem(BUILD_SETTINGS_KEY) ?? "{}") as Partial<BuildSettings>;
    return {
      tag: typeof v.tag === "string" && v.tag ? v.tag : "app:latest",
      dockerfile: typeof v.dockerfile === "string" && v.dockerfile ? v.dockerfile : "Dockerfile",
      noCache: false,
      reproducible: v.reproducible !== false,
    };
  } catch {
    return { tag: "app:latest", dockerfile: "Dockerfile", noCache: false, reproducible: true };
  }
}

function clearShareHash() {
  history.replaceState(null, "", location.pathname + location.search);
}

function downloadBytes(name: string, data: Uint8Array) {
  const url = URL.createObjectURL(new Blob([data as BlobPart], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function App() {
  const { preference, theme, cycle } = useTheme();
  const [status, setStatus] = useState<Status>({ state: "starting", progress: { phase: "manifest" } });
  const [entries, setEntries] = useState<WorkspaceEntry[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [resetKey, setResetKey] = useState(0);
  const [saveState, setSaveState] = useState<SaveState>({ state: "idle" });
  const [notice, setNotice] = useState<Notice>(null);
  // Information goes away by itself; an error stays until it is closed.
  useEffect(() => {
    if (notice?.kind !== "info") return;
    const timer = setTimeout(() => setNotice((n) => (n === notice ? null : n)), INFO_NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);
  const [shared, setShared] = useState<Shared>(null);
  const [sharedSelected, setSharedSelected] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [shareOpen, setShareOpen] = useState(false);
  const [examplesOpen, setExamplesOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const [tab, setTab] = useState<SideTab>("Build");
  const [buildNote, setBuildNote] = useState<string | undefined>(undefined);
  const [buildSettings, setBuildSettingsState] = useState<BuildSettings>(storedBuildSettings);
  /** The workspace's SOURCE_DATE_EPOCH (seconds), once read. */
  const [epoch, setEpoch] = useState<number | null>(null);
  const [selectedImage, setSelectedImage] = useState<string | null>(null);
  const [pendingRun, setPendingRun] = useState<string[] | null>(null);
  const [terminalHeight, setTerminalHeight] = useState(() => storedNumber(TERMINAL_HEIGHT_KEY, 240));
  const [confirm, confirmElement] = useConfirm();
  const editor = useRef<EditorHandle>(null);
  const terminal = useRef<TerminalTabsHandle>(null);
  const tree = useRef<HTMLDivElement>(null);
  const workspace = getWorkspace();

  // --- the guest -------------------------------------------------------------

  useEffect(() => {
    startGuest((progress) => setStatus((s) => (s.state === "starting" ? { state: "starting", progress } : s))).then(
      (info) => setStatus({ state: "ready", info }),
      (err: Error) => setStatus({ state: "failed", message: err.message }),
    );
  }, []);

  // --- the workspace -----------------------------------------------------------

  const refresh = useCallback(async () => {
    try {
      const list = await getWorkspace().list();
      setEntries(list);
      return list;
    } catch (err) {
      setNotice({ kind: "error", text: `The workspace could not be read: ${message(err)}` });
      setEntries((e) => e ?? []);
      return null;
    }
  }, []);

  const readEpoch = useCallback(async () => {
    try {
      setEpoch(await getWorkspace().epoch());
    } catch {
      // The workspace could not be read: refresh() says so.
    }
  }, []);

  useEffect(() => {
    void readEpoch();
    void refresh().then((list) => {
      if (!list) return;
      let last: string | null = null;
      try {
        last = localStorage.getItem(LAST_FILE_KEY);
      } catch {
        // no preference
      }
      const pick = list.find((e) => e.path === last) ?? list.find((e) => e.path === "Dockerfile") ?? list[0];
      if (pick) setSelected(pick.path);
    });
  }, [refresh, readEpoch]);

  const select = useCallback((path: string | null) => {
    setSelected(path);
    remember(LAST_FILE_KEY, path);
  }, []);

  const paths = useMemo(() => new Set((entries ?? []).map((e) => e.path)), [entries]);
  const selectedEntry = entries?.find((e) => e.path === selected) ?? null;

  /** Runs a workspace change after saving pending edits; reports failures. */
  const mutate = useCallback(
    async (what: string, fn: () => Promise<unknown>): Promise<boolean> => {
      try {
        await editor.current?.flush();
        await fn();
        return true;
      } catch (err) {
        setNotice({ kind: "error", text: `${what}: ${message(err)}` });
        return false;
      } finally {
        await refresh();
      }
    },
    [refresh],
  );

  const createFile = async (path: string) => {
    if (paths.has(path)) {
      setNotice({ kind: "error", text: `${path} already exists.` });
      return false;
    }
    const ok = await mutate(`Could not create ${path}`, () => workspace.write(path, ""));
    if (ok) select(path);
    return ok;
  };

  const renameFile = async (from: string, to: string) => {
    const ok = await mutate(`Could not rename ${from}`, () => workspace.rename(from, to));
    if (ok && selected && (selected === from || selected.startsWith(from + "/"))) select(to + selected.slice(from.length));
    return ok;
  };

  const deleteFile = async (path: string, folder: boolean) => {
    const count = folder ? (entries ?? []).filter((e) => e.path.startsWith(path + "/")).length : 1;
    const ok = await confirm({
      title: folder ? "Delete folder?" : "Delete file?",
      message: folder ? (
        <p>
          Delete the folder <code>{path}</code> and the {count} file{count === 1 ? "" : "s"} in it? This cannot be undone.
        </p>
      ) : (
        <p>
          Delete <code>{path}</code>? This cannot be undone.
        </p>
      ),
      confirm: "Delete",
      danger: true,
    });
    if (!ok) return;
    if (await mutate(`Could not delete ${path}`, () => workspace.delete(path))) {
      if (selected && (selected === path || selected.startsWith(path + "/"))) select(null);
    }
  };

  const download = async (path: string) => {
    try {
      downloadBytes(path.slice(path.lastIndexOf("/") + 1), (await workspace.read(path)).data);
    } catch (err) {
      setNotice({ kind: "error", text: `Could not download ${path}: ${message(err)}` });
    }
  };

  const upload = async (items: UploadItem[], folder: string) => {
    const files: { path: string; file: File }[] = [];
    const skipped: string[] = [];
    for (const it of items) {
      const path = folder ? `${folder}/${it.path}` : it.path;
      const problem = workspacePathProblem(path);
      if (problem) skipped.push(`${it.path} (${problem})`);
      else if (it.file.size > MAX_UPLOAD_BYTES) skipped.push(`${it.path} (${formatBytes(it.file.size)}; at most ${formatBytes(MAX_UPLOAD_BYTES)})`);
      else files.push({ path, file: it.file });
    }
    if (skipped.length) setNotice({ kind: "error", text: `Not uploaded: ${skipped.join(", ")}` });
    if (!files.length) return;
    const replacing = files.filter((f) => paths.has(f.path)).map((f) => f.path);
    if (replacing.length) {
      const ok = await confirm({
        title: "Replace files?",
        message: (
          <>
            <p>These files already exist and would be replaced:</p>
            <ul className="path-list">
              {replacing.slice(0, 10).map((p) => (
                <li key={p}>
                  <code>{p}</code>
                </li>
              ))}
              {replacing.length > 10 && <li>… and {replacing.length - 10} more</li>}
            </ul>
          </>
        ),
        confirm: "Replace",
      });
      if (!ok) return;
    }
    const ok = await mutate("Upload failed", async () =>
      workspace.upload(await Promise.all(files.map(async (f) => ({ path: f.path, data: new Uint8Array(await f.file.arrayBuffer()) })))),
    );
    if (ok) {
      setNotice({ kind: "info", text: `Uploaded ${files.length} file${files.length === 1 ? "" : "s"}.` });
      if (files.length === 1) select(files[0].path);
    }
  };

  const setExecutable = (path: string, executable: boolean) => {
    const entry = entries?.find((e) => e.path === path);
    if (!entry) return;
    const mode = executable ? entry.mode | ((entry.mode & 0o444) >> 2) : entry.mode & ~0o111;
    void mutate(`Could not change the mode of ${path}`, () => workspace.setMode(path, mode));
  };

  /** Makes the workspace exactly `files`, after asking if that would replace the user's own. */
  const replaceWorkspace = async (
    files: { path: string; data: Uint8Array | string; mode?: number; mtime?: number }[],
    ask: { title: string; what: string },
    open?: string,
    epoch?: number,
  ): Promise<boolean> => {
    await editor.current?.flush();
    const current = (await refresh()) ?? [];
    if (current.length > 0) {
      const ok = await confirm({
        title: ask.title,
        message: (
          <p>
            {ask.what} replaces your workspace: its {current.length} file{current.length === 1 ? "" : "s"} will be deleted. Download what you want to keep
            first.
          </p>
        ),
        confirm: "Replace my workspace",
        cancel: "Keep mine",
        danger: true,
      });
      if (!ok) return false;
    }
    const ok = await mutate("Could not replace the workspace", () => workspace.replace(files, { epoch }));
    await readEpoch();
    if (ok) {
      setResetKey((k) => k + 1);
      select(open ?? files.find((f) => f.path === "Dockerfile")?.path ?? files[0]?.path ?? null);
    }
    return ok;
  };

  const loadExample = async (example: Example) => {
    setExamplesOpen(false);
    const ok = await replaceWorkspace(
      example.files.map((f) => ({ path: f.path, data: f.text, mode: f.mode })),
      { title: `Load the “${example.title}” example?`, what: "Loading this example" },
      example.open,
    );
    if (ok) setNotice({ kind: "info", text: `Loaded the “${example.title}” example.` });
  };

  // --- shared links -------------------------------------------------------------

  useEffect(() => {
    const read = () => {
      if (!isShareFragment(location.hash)) return;
      setShared({ state: "loading" });
      decodeShare(location.hash).then(
        (payload) => {
          if (!payload) return setShared(null);
          setShared({ state: "ready", payload });
          setSharedSelected(payload.files.find((f) => f.path === "Dockerfile")?.path ?? payload.files[0]?.path ?? null);
        },
        (err: unknown) => setShared({ state: "error", message: err instanceof ShareError ? err.message : message(err) }),
      );
    };
    read();
    window.addEventListener("hashchange", read);
    return () => window.removeEventListener("hashchange", read);
  }, []);

  const leaveShared = () => {
    setShared(null);
    setSharedSelected(null);
    clearShareHash();
  };

  /** Are the shared files exactly the workspace already? */
  const workspaceMatches = async (payload: SharePayload) => {
    const mine = await workspace.snapshot();
    if (mine.length !== payload.files.length) return false;
    const byPath = new Map(mine.map((f) => [f.path, f]));
    return payload.files.every((f) => {
      const m = byPath.get(f.path);
      return m && m.mode === f.mode && sameBytes(m.data, f.data);
    });
  };

  const openShared = async (payload: SharePayload, then?: () => void) => {
    setBusy(true);
    try {
      const same = await workspaceMatches(payload);
      // The link's epoch and file times come along, so the files build the image its sender built.
      const ok =
        same ||
        (await replaceWorkspace(
          payload.files.map((f) => ({ path: f.path, data: f.data, mode: f.mode, mtime: f.mtime })),
          { title: "Open the shared files as your workspace?", what: "Opening the shared files" },
          undefined,
          payload.epoch,
        ));
      if (!ok) return;
      if (same && payload.epoch !== undefined) {
        await workspace.setEpoch(payload.epoch);
        await readEpoch();
      }
      leaveShared();
      then?.();
    } catch (err) {
      setNotice({ kind: "error", text: `Could not open the shared files: ${message(err)}` });
    } finally {
      setBusy(false);
    }
  };

  const runShared = (payload: SharePayload) =>
    openShared(payload, () => {
      if (payload.commands.length) {
        setPendingRun(payload.commands);
        setNotice({
          kind: "info",
          text:
            status.state === "ready"
              ? `Running ${payload.commands.length} command${payload.commands.length === 1 ? "" : "s"} from the link in the terminal.`
              : "The commands from the link will run in the terminal once the guest has started.",
        });
        terminal.current?.focus();
      } else {
        setNotice({ kind: "info", text: "Opened the shared files. The link has no commands to run." });
      }
    });

  // --- building -------------------------------------------------------------------

  const setBuildSettings = useCallback((v: BuildSettings) => {
    setBuildSettingsState(v);
    remember(BUILD_SETTINGS_KEY, JSON.stringify({ tag: v.tag, dockerfile: v.dockerfile, reproducible: v.reproducible }));
  }, []);

  // Reproducible builds: the Build button and `docker build` in the terminals
  // (as buildx, from the environment) build with the workspace's epoch.
  const sourceDateEpoch = buildSettings.reproducible && epoch !== null ? String(epoch) : undefined;
  useEffect(() => setTerminalEnv("SOURCE_DATE_EPOCH", sourceDateEpoch), [sourceDateEpoch]);

  const dockerfiles = useMemo(() => (entries ?? []).map((e) => e.path).filter(isDockerfileName), [entries]);

  const images = useEngineState(() => getDocker().imageList(), ["image", "builder"]);
  const imageNames = useMemo(() => (images.data ?? []).flatMap((i) => i.repoTags), [images.data]);

  const buildRef = useRef<() => Promise<void>>(async () => {});
  buildRef.current = async () => {
    setTab("Build");
    setBuildNote(undefined);
    if (shared?.state === "ready") {
      setBuildNote("Open the shared files as your workspace to build them.");
      return;
    }
    await editor.current?.flush();
    const files = await workspace.snapshot();
    // The open file when it is a Dockerfile, else the one chosen in the panel.
    const dockerfile = selected && isDockerfileName(selected) ? selected : buildSettings.dockerfile;
    if (!files.some((f) => f.path === dockerfile)) {
      setBuildNote(
        files.length === 0
          ? "The workspace is empty: it has no Dockerfile to build. Create one, or load an example."
          : `The workspace has no Dockerfile named ${dockerfile}. Create it, or pick another in File.`,
      );
      return;
    }
    if (dockerfile !== buildSettings.dockerfile) setBuildSettings({ ...buildSettings, dockerfile });
    const tag = buildSettings.tag.trim() || "app:latest";
    const buildEpoch = buildSettings.reproducible ? String(await workspace.epoch()) : undefined;
    const opts = {
      context: contextFromWorkspace(files, dockerfile),
      dockerfile,
      tags: [tag],
      noCache: buildSettings.noCache || undefined,
      buildArgs: buildEpoch ? { SOURCE_DATE_EPOCH: buildEpoch } : undefined,
    };
    const sink = buildStore.begin(opts, "button");
    let failed = false;
    try {
      await getDocker().build(opts, (e) => {
        if (e.type === "error") failed = true;
        sink(e);
      });
    } catch (err) {
      // The engine reports its own failures as an error event; this is for the rest (the worker call itself).
      if (!failed) sink({ type: "error", message: message(err) });
    }
  };
  const build = useCallback(() => void buildRef.current(), []);

  // `docker build` in a terminal sees what the editor shows: pending edits are saved first.
  useEffect(() => setBeforeContext(async () => editor.current?.flush()), []);

  const revealInEditor = useCallback(
    (file: string, line: number) => {
      if (shared?.state === "ready") return;
      select(file);
      editor.current?.reveal(file, line);
    },
    [select, shared],
  );

  const showImage = useCallback((ref: string) => {
    setSelectedImage(ref);
    setTab("Images");
  }, []);

  const runImage = useCallback((ref: string) => {
    setPendingRun([`docker run --rm -it ${ref}`]);
  }, []);

  // Commands for the docker terminal (a shared link's, Run buttons): once it is there.
  useEffect(() => {
    if (!pendingRun || status.state !== "ready" || !terminal.current) return;
    terminal.current.runInDocker(pendingRun);
    setPendingRun(null);
  }, [pendingRun, status.state]);

  // --- keyboard shortcuts --------------------------------------------------------------

  const buildTagRef = useRef(buildSettings.tag);
  buildTagRef.current = buildSettings.tag.trim() || "app:latest";

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const inTerminal = !!(e.target as HTMLElement | null)?.closest?.(".guest-terminal");
      if (mod && !e.altKey && !e.shiftKey && !inTerminal) {
        const k = e.key.toLowerCase();
        if (k === "s") {
          e.preventDefault();
          e.stopPropagation();
          void editor.current?.flush();
          return;
        }
        if (k === "b") {
          e.preventDefault();
          e.stopPropagation();
          build();
          return;
        }
        if (k === "e") {
          e.preventDefault();
          e.stopPropagation();
          tree.current?.querySelector<HTMLElement>(".tree-name, button")?.focus();
          return;
        }
      }
      if (mod && e.key === "`") {
        e.preventDefault();
        e.stopPropagation();
        terminal.current?.focus();
        return;
      }
      if (mod && e.key === "Enter" && !e.altKey && !inTerminal) {
        // Run the image the Build button makes, in the docker terminal.
        e.preventDefault();
        e.stopPropagation();
        runImage(buildTagRef.current);
        return;
      }
      if (e.altKey && !mod && !e.shiftKey && /^Digit[1-4]$/.test(e.code)) {
        e.preventDefault();
        e.stopPropagation();
        const t = SIDE_TABS[Number(e.code.slice(5)) - 1]!;
        setTab(t);
        requestAnimationFrame(() => document.getElementById(`side-tab-${t}`)?.focus());
        return;
      }
      if (e.key === "F6" && !mod && !e.altKey) {
        // Cycle the panes: file tree, editor, terminal, side panel.
        e.preventDefault();
        e.stopPropagation();
        const panes: (() => void)[] = [
          () => tree.current?.querySelector<HTMLElement>(".tree-name, button")?.focus(),
          () => editor.current?.focus(),
          () => terminal.current?.focus(),
          () => document.querySelector<HTMLElement>('.side-panel [role="tab"][aria-selected="true"]')?.focus(),
        ];
        const el = e.target as HTMLElement | null;
        const at = el?.closest?.(".tree-area") ? 0 : el?.closest?.(".editor-area") ? 1 : el?.closest?.(".terminal-area") ? 2 : el?.closest?.(".side-panel") ? 3 : -1;
        const next = (at + (e.shiftKey ? -1 : 1) + panes.length) % panes.length;
        panes[at < 0 ? 0 : next]!();
        return;
      }
      if (e.key === "?" && !mod && !e.altKey && !isEditable(e.target)) {
        e.preventDefault();
        setHelpOpen((o) => !o);
      }
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, [build, runImage]);

  // --- layout: terminal splitter ----------------------------------------------------

  const setHeight = (h: number) => {
    const max = Math.max(120, window.innerHeight - 220);
    const v = Math.round(Math.min(max, Math.max(80, h)));
    setTerminalHeight(v);
    remember(TERMINAL_HEIGHT_KEY, String(v));
  };

  const startDrag = (e: React.PointerEvent) => {
    e.preventDefault();
    const startY = e.clientY;
    const start = terminalHeight;
    const el = e.currentTarget as HTMLElement;
    el.setPointerCapture(e.pointerId);
    const move = (ev: PointerEvent) => setHeight(start + (startY - ev.clientY));
    const up = () => {
      el.removeEventListener("pointermove", move);
      el.removeEventListener("pointerup", up);
    };
    el.addEventListener("pointermove", move);
    el.addEventListener("pointerup", up);
  };

  // --- rendering ---------------------------------------------------------------------

  const guestStatus: GuestStatus =
    status.state === "starting"
      ? {
          state: "starting",
          label: `starting (${(phaseLabel[status.progress.phase] ?? status.progress.phase).toLowerCase()})`,
          fraction: status.progress.total ? (status.progress.loaded ?? 0) / status.progress.total : undefined,
        }
      : status.state === "ready"
        ? { state: "ready", label: `running (${status.info.mode} in ${Math.round(status.info.ms)} ms)` }
        : { state: "failed", label: "failed to start" };

  const inShared = shared?.state === "ready";
  const sharedPayload = inShared ? shared.payload : null;
  const sharedEntries = useMemo(
    () => sharedPayload?.files.map((f) => ({ path: f.path, size: f.data.byteLength, mode: f.mode, mtime: 0 })) ?? null,
    [sharedPayload],
  );
  const sharedPaths = useMemo(() => new Set(sharedEntries?.map((e) => e.path) ?? []), [sharedEntries]);

  const saveLabel =
    saveState.state === "saving"
      ? "Saving…"
      : saveState.state === "saved"
        ? "All changes saved"
        : saveState.state === "error"
          ? `Not saved: ${saveState.message}`
          : "";

  return (
    <div className="app" style={{ "--terminal-height": `${terminalHeight}px` } as React.CSSProperties}>
      <header className="topbar">
        <h1>Berth</h1>
        <span className="tagline">Docker in a browser tab</span>
        <nav className="header-actions" aria-label="Workspace actions">
          <span className="popover-anchor">
            <button type="button" aria-expanded={examplesOpen} aria-haspopup="true" onClick={() => setExamplesOpen((o) => !o)} disabled={busy}>
              Examples <Icon name="chevronDown" size={12} />
            </button>
            {examplesOpen && (
              <ExamplesMenu onPick={(ex) => void loadExample(ex)} onClose={() => setExamplesOpen(false)} />
            )}
          </span>
          <button type="button" onClick={() => setShareOpen(true)} disabled={inShared || !entries?.length} title="Share the workspace as a link">
            Share
          </button>
          <button type="button" onClick={build} title={`Build (${MOD}+B)`} aria-keyshortcuts="Control+B Meta+B">
            Build
          </button>
        </nav>
        <span className="status" role="status" data-testid="guest-status">
          {status.state === "starting" && "Guest starting…"}
          {status.state === "ready" && `Guest running (${status.info.mode} in ${Math.round(status.info.ms)} ms)`}
          {status.state === "failed" && "Guest failed to start"}
        </span>
        <span className="save-status" role="status" data-testid="save-status" data-state={saveState.state}>
          {saveLabel}
        </span>
        <button
          type="button"
          className="icon-button"
          onClick={cycle}
          aria-label={`Colour theme: ${preference}${preference === "system" ? ` (${theme})` : ""}. Click to change.`}
          title={`Theme: ${preference}${preference === "system" ? ` (${theme})` : ""}`}
          data-testid="theme-toggle"
        >
          <Icon name={preference === "system" ? "system" : preference === "dark" ? "moon" : "sun"} />
        </button>
        <HelpPopover open={helpOpen} onOpenChange={setHelpOpen} />
      </header>

      {shared?.state === "loading" && (
        <div className="notice info" role="status">
          Reading the shared link…
        </div>
      )}
      {shared?.state === "error" && (
        <div className="notice error" role="alert" data-testid="share-open-error">
          <span>This shared link cannot be opened: {shared.message}</span>
          <button type="button" className="small" onClick={leaveShared}>
            Dismiss
          </button>
        </div>
      )}
      {sharedPayload && (
        <SharedBanner
          payload={sharedPayload}
          busy={busy}
          onRun={() => void runShared(sharedPayload)}
          onOpen={() => void openShared(sharedPayload)}
          onKeepMine={leaveShared}
        />
      )}
      {notice && (
        <div className={`notice ${notice.kind}`} role={notice.kind === "error" ? "alert" : "status"} data-testid="notice">
          <span>{notice.text}</span>
          <button type="button" className="small" aria-label="Dismiss message" onClick={() => setNotice(null)}>
            <Icon name="close" size={12} />
          </button>
        </div>
      )}

      <div className="workbench">
        <div className="tree-area" ref={tree}>
          {sharedPayload ? (
            <FileTree
              label="Shared files"
              entries={sharedEntries}
              selected={sharedSelected}
              readOnly
              onSelect={setSharedSelected}
              onDownload={(p) => downloadBytes(p.slice(p.lastIndexOf("/") + 1), sharedPayload.files.find((f) => f.path === p)!.data)}
            />
          ) : (
            <FileTree
              label="Workspace"
              entries={entries}
              selected={selected}
              onSelect={select}
              onCreate={createFile}
              onRename={renameFile}
              onDelete={(p, folder) => void deleteFile(p, folder)}
              onDownload={(p) => void download(p)}
              onUpload={(items, folder) => void upload(items, folder)}
            />
          )}
        </div>

        <div className="editor-area">
          <Suspense fallback={<div className="editor-empty muted">Loading the editor…</div>}>
          {sharedPayload ? (
            <EditorPane
              key="shared"
              scope="shared"
              path={sharedSelected}
              paths={sharedPaths}
              resetKey={0}
              mode={null}
              theme={theme}
              load={async (p) => sharedPayload.files.find((f) => f.path === p)!.data}
              onDownload={(p) => downloadBytes(p.slice(p.lastIndexOf("/") + 1), sharedPayload.files.find((f) => f.path === p)!.data)}
              emptyHint={<p className="muted">Pick a shared file to read it.</p>}
            />
          ) : (
            <EditorPane
              key="workspace"
              ref={editor}
              scope="workspace"
              path={selected}
              paths={paths}
              resetKey={resetKey}
              mode={selectedEntry?.mode ?? null}
              theme={theme}
              load={async (p) => (await workspace.read(p)).data}
              save={async (p, text) => {
                await workspace.write(p, text);
              }}
              onSaveState={setSaveState}
              onSetExecutable={setExecutable}
              onDownload={(p) => void download(p)}
              emptyHint={
                <div className="welcome">
                  <h2>Your workspace</h2>
                  <p>This is the build context: what <code>docker build</code> sees. It is kept in this browser and survives a reload.</p>
                  <p>Create a file with + in the tree, drop files onto it, or start from an example:</p>
                  <ul>
                    {EXAMPLES.map((ex) => (
                      <li key={ex.id}>
                        <button type="button" className="link" onClick={() => void loadExample(ex)}>
                          {ex.title}
                        </button>{" "}
                        — {ex.summary}
                      </li>
                    ))}
                  </ul>
                </div>
              }
            />
          )}
          </Suspense>
        </div>

        <div
          className="splitter"
          role="separator"
          aria-orientation="horizontal"
          aria-label="Resize the terminal"
          aria-valuenow={terminalHeight}
          aria-valuemin={80}
          aria-valuemax={Math.max(120, (typeof window === "undefined" ? 800 : window.innerHeight) - 220)}
          tabIndex={0}
          onPointerDown={startDrag}
          onKeyDown={(e) => {
            if (e.key === "ArrowUp") setHeight(terminalHeight + 20);
            else if (e.key === "ArrowDown") setHeight(terminalHeight - 20);
            else return;
            e.preventDefault();
          }}
        />

        <section className="terminal-area" aria-label="Terminals">
          {status.state === "failed" && (
            <div className="error" role="alert" data-testid="guest-error">
              <h2>The guest could not start</h2>
              <pre>{status.message}</pre>
            </div>
          )}
          {/* Made while the guest starts, under its progress: the prompt shows once the guest runs. */}
          {status.state !== "failed" && (
            <TerminalTabs ref={terminal} theme={theme} starting={status.state === "starting" ? <StartProgressView progress={status.progress} /> : null} />
          )}
        </section>

        <SidePanel
          tab={tab}
          onTab={setTab}
          panels={{
            Build: (
              <BuildPanel
                settings={buildSettings}
                onSettings={setBuildSettings}
                epoch={epoch}
                dockerfiles={dockerfiles}
                onBuild={build}
                onReveal={revealInEditor}
                onShowImage={showImage}
                note={buildNote}
              />
            ),
            Images: <ImagesPanel selected={selectedImage} onSelect={setSelectedImage} onRun={runImage} />,
            Containers: <ContainersPanel images={imageNames} onExec={(id, name) => terminal.current?.openExec(id, name)} />,
            Volumes: <VolumesPanel />,
          }}
        />
      </div>

      <StatusLine guest={guestStatus} />

      {shareOpen && (
        <ShareDialog
          fileCount={entries?.length ?? 0}
          onClose={() => setShareOpen(false)}
          epoch={sourceDateEpoch !== undefined ? Number(sourceDateEpoch) : undefined}
          snapshot={async () => {
            await editor.current?.flush();
            return (await workspace.snapshot()).map((f) => ({ path: f.path, data: f.data, mode: f.mode, mtime: f.mtime }));
          }}
        />
      )}
      {confirmElement}
    </div>
  );
}

function ExamplesMenu(props: { onPick(example: Example): void; onClose(): void }) {
  const ref = useRef<HTMLDivElement>(null);
  const { onClose } = props;
  useEffect(() => {
    ref.current?.querySelector("button")?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    const onPointer = (e: PointerEvent) => {
      if (!ref.current?.parentElement?.contains(e.target as Node)) onClose();
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onPointer);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onPointer);
    };
  }, [onClose]);
  return (
    <div ref={ref} className="popover menu" role="group" aria-label="Starter examples" data-testid="examples-menu">
      {EXAMPLES.map((ex) => (
        <button key={ex.id} type="button" className="menu-item" onClick={() => props.onPick(ex)}>
          <strong>{ex.title}</strong>
          <span className="muted">{ex.summary}</span>
        </button>
      ))}
    </div>
  );
}

function StartProgressView({ progress }: { progress: StartProgress }) {
  const fraction = progress.total ? (progress.loaded ?? 0) / progress.total : undefined;
  return (
    <div className="starting" data-testid="guest-progress">
      <p>{phaseLabel[progress.phase] ?? progress.phase}…</p>
      <progress aria-label="Guest start progress" value={fraction} max={fraction === undefined ? undefined : 1} />
    </div>
  );
}
