// The Volumes panel: list, create, inspect (which containers use it),
// browse its files (as last synced), remove. Mirrors the engine's events.
import { useEffect, useId, useState } from "react";
import type { VolumeInfo } from "../core/engine-api.ts";
import { useConfirm } from "./Dialog.tsx";
import { getDocker, getExplore } from "./engine.ts";
import { FsTreeView } from "./FsTreeView.tsx";
import type { FsItem } from "./fs-tree.ts";
import { humanSize, shortId, timeAgo } from "./format.ts";
import { useEngineState, useNow } from "./use-engine.ts";

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const volumeName = (n: string) => (/^[0-9a-f]{64}$/.test(n) ? shortId(n) : n);

export function VolumesPanel() {
  const volumes = useEngineState(() => getDocker().volumeList(), ["volume", "container"]);
  const now = useNow();
  const [selected, setSelected] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [confirm, confirmElement] = useConfirm();
  const metaId = useId();
  const list = volumes.data ?? [];
  const current = list.find((v) => v.name === selected) ?? null;

  const create = async () => {
    try {
      const v = await getDocker().volumeCreate({ name: name.trim() || undefined });
      setName("");
      setSelected(v.name);
      setError(null);
    } catch (err) {
      setError(message(err));
    }
  };

  const remove = async (v: VolumeInfo) => {
    const ok = await confirm({
      title: `Remove the volume ${volumeName(v.name)}?`,
      message: <p>Its files are deleted. This cannot be undone.</p>,
      confirm: "Remove",
      danger: true,
    });
    if (!ok) return;
    try {
      await getDocker().volumeRemove(v.name);
      if (selected === v.name) setSelected(null);
      setError(null);
    } catch (err) {
      setError(message(err));
    }
  };

  return (
    <div className="volumes-panel">
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="name (empty: anonymous)" aria-label="New volume name" spellCheck={false} />
        <button type="submit" className="small">
          Create volume
        </button>
      </form>
      {(error || volumes.error) && (
        <p className="error-text" role="alert">
          {error ?? volumes.error}
        </p>
      )}
      <ul className="object-list" aria-label="Volumes">
        {list.map((v) => {
          const isSel = v.name === selected;
          const toggle = () => setSelected(isSel ? null : v.name);
          return (
            <li key={v.name} className={`object-row with-actions${isSel ? " selected" : ""}`} data-testid="volume-row">
              <button type="button" className="object-main" aria-pressed={isSel} aria-describedby={`${metaId}-${v.name}`} onClick={toggle}>
                <span className="object-name">{volumeName(v.name)}</span>
              </button>
              <span className="object-meta muted" id={`${metaId}-${v.name}`} onClick={toggle}>
                {v.anonymous ? "anonymous · " : ""}
                {v.usedBy.length ? `used by ${v.usedBy.length}` : "unused"} · {humanSize(v.size)} · created {timeAgo(v.createdAt, now)}
              </span>
              <span className="row-buttons">
                <button type="button" className="small" onClick={() => void remove(v)} aria-label={`Remove volume ${volumeName(v.name)}`} disabled={v.usedBy.length > 0} title={v.usedBy.length ? "In use by a container" : "Remove"}>
                  Remove
                </button>
              </span>
            </li>
          );
        })}
      </ul>
      {volumes.data && list.length === 0 && <p className="muted">No volumes. Create one above, or run a container with -v name:/path.</p>}
      {current && <VolumeDetail key={current.name} volume={current} />}
      {confirmElement}
    </div>
  );
}

function VolumeDetail(props: { volume: VolumeInfo }) {
  const v = props.volume;
  const [users, setUsers] = useState<{ id: string; name: string }[] | null>(null);
  const [files, setFiles] = useState<FsItem[] | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const usedKey = v.usedBy.join(",");

  useEffect(() => {
    let live = true;
    const docker = getDocker();
    void docker.containerList({ all: true }).then((all) => {
      if (!live) return;
      // Containers that mount it (running ones are in usedBy; stopped ones by their mounts).
      const using = all.filter((c) => v.usedBy.includes(c.id) || c.mounts.some((m) => m.type === "volume" && m.name === v.name));
      setUsers(using.map((c) => ({ id: c.id, name: c.name })));
    });
    return () => {
      live = false;
    };
  }, [v.name, usedKey, v.usedBy]);

  const browse = () => {
    setNote(null);
    setFiles(null);
    getExplore()
      .volumeFiles(v.name)
      .then(
        (r) => {
          setFiles(r.entries);
          if (r.truncated) setNote(`Showing the first ${r.entries.length} paths.`);
        },
        (err) => setNote(message(err)),
      );
  };

  return (
    <section className="volume-detail" aria-label={`Volume ${volumeName(v.name)}`} data-testid="volume-detail">
      <div className="detail-head">
        <h3>{volumeName(v.name)}</h3>
      </div>
      <dl className="kv">
        <dt>Mountpoint</dt>
        <dd>
          <code>{v.mountpoint}</code>
        </dd>
        <dt>Used by</dt>
        <dd>{users === null ? "…" : users.length === 0 ? "no containers" : users.map((u) => u.name).join(", ")}</dd>
        <dt>Size</dt>
        <dd>{humanSize(v.size)} (as last saved)</dd>
        {Object.keys(v.labels).length > 0 && (
          <>
            <dt>Labels</dt>
            <dd>{Object.entries(v.labels).map(([k, val]) => `${k}=${val}`).join(", ")}</dd>
          </>
        )}
      </dl>
      <button type="button" className="small" onClick={browse}>
        {files ? "Refresh files" : "Browse files"}
      </button>
      {note && <p className="muted">{note}</p>}
      {files && <FsTreeView items={files} label={`Files in ${volumeName(v.name)}`} />}
    </section>
  );
}
