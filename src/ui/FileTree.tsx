// The workspace file tree: folders from path prefixes, create / rename /
// delete / download, upload with a button or by dropping files (and folders)
// onto the tree or onto a folder. Names are rendered as React text only.
import { useMemo, useRef, useState, type DragEvent, type FormEvent, type KeyboardEvent, type ReactNode } from "react";
import { workspacePathProblem, type WorkspaceEntry } from "../engine/workspace.ts";
import { Icon } from "./icons.tsx";

export interface UploadItem {
  /** Path relative to the drop target ("a.txt", or "folder/a.txt" for a dropped folder). */
  path: string;
  file: File;
}

interface TreeFolder {
  name: string;
  path: string;
  folders: Map<string, TreeFolder>;
  files: WorkspaceEntry[];
}

function buildTree(entries: readonly WorkspaceEntry[]): TreeFolder {
  const root: TreeFolder = { name: "", path: "", folders: new Map(), files: [] };
  for (const e of entries) {
    const names = e.path.split("/");
    let dir = root;
    for (let i = 0; i < names.length - 1; i++) {
      let next = dir.folders.get(names[i]);
      if (!next) {
        next = { name: names[i], path: names.slice(0, i + 1).join("/"), folders: new Map(), files: [] };
        dir.folders.set(names[i], next);
      }
      dir = next;
    }
    dir.files.push(e);
  }
  return root;
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1);
const parentOf = (p: string) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");
const join = (folder: string, name: string) => (folder ? `${folder}/${name}` : name);

type Editing = { kind: "create"; folder: string } | { kind: "rename"; path: string; folder: boolean } | null;

export interface FileTreeProps {
  entries: readonly WorkspaceEntry[] | null;
  selected: string | null;
  readOnly?: boolean;
  label: string;
  onSelect(path: string): void;
  onCreate?(path: string): Promise<boolean>;
  onRename?(from: string, to: string): Promise<boolean>;
  onDelete?(path: string, folder: boolean): void;
  onDownload(path: string): void;
  onUpload?(items: UploadItem[], folder: string): void;
}

export function FileTree(props: FileTreeProps) {
  const { entries, readOnly } = props;
  const tree = useMemo(() => buildTree(entries ?? []), [entries]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [editing, setEditing] = useState<Editing>(null);
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const uploadInput = useRef<HTMLInputElement>(null);

  const toggle = (path: string) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });

  // --- drag and drop -------------------------------------------------------

  const canDrop = (e: DragEvent) => !readOnly && !!props.onUpload && e.dataTransfer.types.includes("Files");

  const folderAt = (target: EventTarget | null): string => {
    const el = (target as HTMLElement | null)?.closest?.("[data-folder]");
    return el?.getAttribute("data-folder") ?? "";
  };

  const onDragOver = (e: DragEvent) => {
    if (!canDrop(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    setDropTarget(folderAt(e.target));
  };

  const onDrop = (e: DragEvent) => {
    if (!canDrop(e)) return;
    e.preventDefault();
    const folder = folderAt(e.target);
    setDropTarget(null);
    // Entries must be taken during the event; reading them can be async.
    const roots = Array.from(e.dataTransfer.items)
      .filter((i) => i.kind === "file")
      .map((i) => ({ entry: i.webkitGetAsEntry?.() ?? null, file: i.getAsFile() }));
    void collectDropped(roots).then((items) => items.length && props.onUpload?.(items, folder));
  };

  // --- rendering -----------------------------------------------------------

  const renderEditor = (depth: number, key: string) => {
    if (!editing) return null;
    const initial = editing.kind === "rename" ? baseName(editing.path) : "";
    const folder = editing.kind === "create" ? editing.folder : parentOf(editing.path);
    return (
      <li key={key} className="tree-row editing" style={{ paddingLeft: 8 + depth * 14 }}>
        <NameInput
          initial={initial}
          label={editing.kind === "create" ? "New file name" : `New name for ${baseName(editing.path)}`}
          check={(name) => workspacePathProblem(join(folder, name))}
          onCancel={() => setEditing(null)}
          onSubmit={async (name) => {
            const path = join(folder, name);
            const ok =
              editing.kind === "create"
                ? await props.onCreate?.(path)
                : path === editing.path || (await props.onRename?.(editing.path, path));
            if (ok) setEditing(null);
          }}
        />
      </li>
    );
  };

  const renderFolder = (dir: TreeFolder, depth: number): ReactNode[] => {
    const rows: ReactNode[] = [];
    if (editing?.kind === "create" && editing.folder === dir.path) rows.push(renderEditor(depth, "__create"));
    for (const sub of [...dir.folders.values()].sort(byName)) {
      const open = !collapsed.has(sub.path);
      if (editing?.kind === "rename" && editing.path === sub.path) {
        rows.push(renderEditor(depth, "d:" + sub.path));
      } else {
        rows.push(
          <li
            key={"d:" + sub.path}
            className={"tree-row folder" + (dropTarget === sub.path ? " drop" : "")}
            data-folder={sub.path}
            style={{ paddingLeft: 8 + depth * 14 }}
          >
            <button type="button" className="tree-name" aria-expanded={open} onClick={() => toggle(sub.path)} title={sub.path}>
              <span className="twisty"><Icon name={open ? "chevronDown" : "chevronRight"} size={12} /></span>
              <Icon name={open ? "folderOpen" : "folder"} />
              <span className="label">{sub.name}</span>
            </button>
            {!readOnly && (
              <span className="row-actions">
                <button type="button" className="icon-button" aria-label={`New file in ${sub.path}`} title="New file here" onClick={() => setEditing({ kind: "create", folder: sub.path })}><Icon name="plus" /></button>
                <button type="button" className="icon-button" aria-label={`Rename folder ${sub.path}`} title="Rename" onClick={() => setEditing({ kind: "rename", path: sub.path, folder: true })}><Icon name="rename" /></button>
                <button type="button" className="icon-button" aria-label={`Delete folder ${sub.path}`} title="Delete" onClick={() => props.onDelete?.(sub.path, true)}><Icon name="trash" /></button>
              </span>
            )}
          </li>,
        );
      }
      if (open) {
        rows.push(
          <li key={"c:" + sub.path} className="tree-children" data-folder={sub.path}>
            <ul>{renderFolder(sub, depth + 1)}</ul>
          </li>,
        );
      }
    }
    for (const f of [...dir.files].sort((a, b) => baseName(a.path).localeCompare(baseName(b.path)))) {
      if (editing?.kind === "rename" && editing.path === f.path) {
        rows.push(renderEditor(depth, "f:" + f.path));
        continue;
      }
      const name = baseName(f.path);
      const selected = props.selected === f.path;
      rows.push(
        <li key={"f:" + f.path} className={"tree-row file" + (selected ? " selected" : "")} style={{ paddingLeft: 22 + depth * 14 }}>
          <button
            type="button"
            className="tree-name"
            aria-current={selected ? "true" : undefined}
            onClick={() => props.onSelect(f.path)}
            title={`${f.path} — ${f.size} bytes, mode ${f.mode.toString(8).padStart(4, "0")}`}
            data-testid="tree-file"
            data-path={f.path}
          >
            <Icon name={f.mode & 0o111 ? "script" : "file"} />
            <span className="label">{name}</span>
          </button>
          <span className="row-actions">
            <button type="button" className="icon-button" aria-label={`Download ${f.path}`} title="Download" onClick={() => props.onDownload(f.path)}><Icon name="download" /></button>
            {!readOnly && (
              <>
                <button type="button" className="icon-button" aria-label={`Rename ${f.path}`} title="Rename" onClick={() => setEditing({ kind: "rename", path: f.path, folder: false })}><Icon name="rename" /></button>
                <button type="button" className="icon-button" aria-label={`Delete ${f.path}`} title="Delete" onClick={() => props.onDelete?.(f.path, false)}><Icon name="trash" /></button>
              </>
            )}
          </span>
        </li>,
      );
    }
    return rows;
  };

  const empty = entries !== null && entries.length === 0;

  return (
    <nav
      className={"file-tree" + (dropTarget !== null ? " dragging" : "") + (dropTarget === "" ? " drop" : "")}
      aria-label={props.label}
      onDragOver={onDragOver}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDropTarget(null);
      }}
      onDrop={onDrop}
      data-folder=""
      data-testid="file-tree"
    >
      <div className="pane-title">
        <span>{props.label}</span>
        {!readOnly && (
          <span className="pane-actions">
            <button type="button" className="icon-button" aria-label="New file" title="New file (a name like dir/file makes folders)" onClick={() => setEditing({ kind: "create", folder: "" })}><Icon name="plus" /></button>
            <button type="button" className="icon-button" aria-label="Upload files" title="Upload files (or drop them here)" onClick={() => uploadInput.current?.click()}><Icon name="upload" /></button>
            <input
              ref={uploadInput}
              type="file"
              multiple
              hidden
              aria-hidden="true"
              tabIndex={-1}
              data-testid="upload-input"
              onChange={(e) => {
                const files = Array.from(e.currentTarget.files ?? []);
                e.currentTarget.value = "";
                if (files.length) props.onUpload?.(files.map((file) => ({ path: file.name, file })), "");
              }}
            />
          </span>
        )}
      </div>
      {entries === null ? (
        <p className="muted pad">Loading…</p>
      ) : (
        <ul className="tree-root">{renderFolder(tree, 0)}</ul>
      )}
      {empty && !editing && (
        <p className="muted pad">
          {readOnly ? "No files." : "No files yet. Create one with +, drop files here, or load an example."}
        </p>
      )}
    </nav>
  );
}

function NameInput(props: {
  initial: string;
  label: string;
  check(name: string): string | null;
  onSubmit(name: string): Promise<void>;
  onCancel(): void;
}) {
  const [value, setValue] = useState(props.initial);
  const [busy, setBusy] = useState(false);
  const problem = value === "" ? null : props.check(value);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!value || problem || busy) return;
    setBusy(true);
    try {
      await props.onSubmit(value);
    } finally {
      setBusy(false);
    }
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      props.onCancel();
    }
  };
  return (
    <form className="name-form" onSubmit={submit}>
      <input
        autoFocus
        aria-label={props.label}
        aria-invalid={problem ? true : undefined}
        value={value}
        spellCheck={false}
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={onKey}
        onBlur={() => {
          if (!busy && value === props.initial) props.onCancel();
        }}
        onFocus={(e) => {
          // Select the name without its extension, as file managers do.
          const dot = e.currentTarget.value.lastIndexOf(".");
          e.currentTarget.setSelectionRange(0, dot > 0 ? dot : e.currentTarget.value.length);
        }}
      />
      {problem && (
        <span className="field-error" role="alert">
          {problem}
        </span>
      )}
    </form>
  );
}

/** Files from dropped items, walking dropped folders. */
async function collectDropped(roots: { entry: FileSystemEntry | null; file: File | null }[]): Promise<UploadItem[]> {
  const out: UploadItem[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ path, file });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, path);
      }
    }
  };
  for (const r of roots) {
    if (r.entry) await walk(r.entry, "");
    else if (r.file) out.push({ path: r.file.name, file: r.file });
  }
  return out;
}
