// The Images panel: the engine's images, and for one image its layer stack
// (base at the bottom, metadata steps thin, how many images share each
// layer); a layer's files with A/C/D marks, or the whole filesystem up to it.
import { useEffect, useId, useState } from "react";
import type { ImageInspect, ImageSummary } from "../core/engine-api.ts";
import type { ExploreEntry } from "../engine/explore.ts";
import { useConfirm } from "./Dialog.tsx";
import { getDocker, getExplore } from "./engine.ts";
import { FsTreeView } from "./FsTreeView.tsx";
import type { FsItem } from "./fs-tree.ts";
import { humanSize, instructionText, shortId, timeAgo } from "./format.ts";
import { useEngineState, useNow } from "./use-engine.ts";

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface Listed extends ImageSummary {
  sharedLayers: number;
  layerCount: number;
}

async function listImages(): Promise<Listed[]> {
  const docker = getDocker();
  const images = await docker.imageList();
  return Promise.all(
    images.map(async (i) => {
      const inspect = await docker.imageInspect(i.id).catch(() => null);
      const layers = inspect?.layers.filter((l) => l.digest) ?? [];
      return { ...i, layerCount: layers.length, sharedLayers: layers.filter((l) => l.sharedBy > 1).length };
    }),
  );
}

export function ImagesPanel(props: { selected: string | null; onSelect(ref: string | null): void; onRun(ref: string): void }) {
  const images = useEngineState(listImages, ["image", "builder", "container"]);
  const now = useNow();
  const [confirm, confirmElement] = useConfirm();
  const [error, setError] = useState<string | null>(null);
  const metaId = useId();
  const list = images.data ?? [];
  const selected = list.find((i) => i.id === props.selected || i.repoTags.includes(props.selected ?? "")) ?? null;

  const remove = async (img: Listed) => {
    const name = img.repoTags[0] ?? shortId(img.id);
    const ok = await confirm({
      title: `Remove ${name}?`,
      message: (
        <p>
          {img.repoTags.length > 1 ? `This removes the tag ${name}; the image stays under its other names.` : `This deletes the image ${shortId(img.id)}.`} Containers
          that use it keep it.
        </p>
      ),
      confirm: "Remove",
      danger: true,
    });
    if (!ok) return;
    try {
      await getDocker().imageRemove(img.repoTags[0] ?? img.id);
      setError(null);
    } catch (err) {
      setError(message(err));
    }
  };

  return (
    <div className="images-panel">
      {images.error && <p className="error-text">{images.error}</p>}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      {images.data === null && !images.error && <p className="muted">Loading images…</p>}
      <ul className="object-list" aria-label="Images">
        {list.map((img) => {
          const name = img.repoTags[0] ?? "<none>";
          const isSel = selected?.id === img.id;
          const toggle = () => props.onSelect(isSel ? null : img.id);
          return (
            <li key={img.id} className={`object-row with-actions${isSel ? " selected" : ""}`} data-testid="image-row">
              <button type="button" className="object-main" aria-pressed={isSel} aria-describedby={`${metaId}-${img.id}`} onClick={toggle}>
                <span className="object-name">{name}</span>
                {img.repoTags.length > 1 && <span className="muted"> +{img.repoTags.length - 1} tags</span>}
              </button>
              {/* Below the name and the buttons, so that the buttons do not squeeze it; a click on it selects, as on the name. */}
              <span className="object-meta muted" id={`${metaId}-${img.id}`} onClick={toggle}>
                <code>{shortId(img.id)}</code> · {humanSize(img.size)} · {timeAgo(img.created, now)} · {img.layerCount} layer{img.layerCount === 1 ? "" : "s"}
                {img.sharedLayers > 0 ? `, ${img.sharedLayers} shared` : ""}
              </span>
              <span className="row-buttons">
                <button type="button" className="small" onClick={() => props.onRun(name === "<none>" ? shortId(img.id) : name)} aria-label={`Run ${name} in the terminal`}>
                  Run
                </button>
                <button type="button" className="small" onClick={() => void remove(img)} aria-label={`Remove ${name}`}>
                  Remove
                </button>
              </span>
            </li>
          );
        })}
      </ul>
      {images.data && list.length === 0 && <p className="muted">No images. Build one with the Build button.</p>}
      {selected && <ImageDetail key={selected.id} image={selected} onError={setError} />}
      {confirmElement}
    </div>
  );
}

function ImageDetail(props: { image: Listed; onError(message: string | null): void }) {
  const { image } = props;
  const [inspect, setInspect] = useState<ImageInspect | null>(null);
  const [layer, setLayer] = useState<number | null>(null);
  const [tag, setTag] = useState("");
  const [tagging, setTagging] = useState(false);
  const ref = image.id;

  useEffect(() => {
    let live = true;
    getDocker()
      .imageInspect(ref)
      .then(
        (i) => live && setInspect(i),
        (err) => live && props.onError(message(err)),
      );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ref, image.sharedLayers, image.repoTags.join(",")]);

  const doTag = async () => {
    try {
      await getDocker().imageTag(ref, tag.trim());
      setTag("");
      setTagging(false);
      props.onError(null);
    } catch (err) {
      props.onError(message(err));
    }
  };

  if (!inspect) return <p className="muted">Reading the image…</p>;
  // Items in history order (base first), each real layer with its index among the layers.
  let next = 0;
  const steps = inspect.layers.map((l) => ({ ...l, index: l.digest ? next++ : -1 }));
  return (
    <section className="image-detail" aria-label={`Image ${image.repoTags[0] ?? shortId(image.id)}`}>
      <div className="detail-head">
        <h3>{image.repoTags.join(", ") || shortId(image.id)}</h3>
        {tagging ? (
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (tag.trim()) void doTag();
            }}
          >
            <input value={tag} onChange={(e) => setTag(e.target.value)} placeholder="name:tag" aria-label="New tag" autoFocus spellCheck={false} />
            <button type="submit" className="small">
              Tag
            </button>
            <button type="button" className="small" onClick={() => setTagging(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <button type="button" className="small" onClick={() => setTagging(true)}>
            Add tag…
          </button>
        )}
      </div>
      <p className="muted small-text">
        Layers, base at the bottom. Click a layer to see its files. CMD {JSON.stringify(inspect.config?.Cmd ?? [])}
        {inspect.config?.WorkingDir ? `, WORKDIR ${inspect.config.WorkingDir}` : ""}
      </p>
      <ol className="layer-stack" aria-label="Layer stack" data-testid="layer-stack">
        {steps.map((s, i) => {
          const text = instructionText(s.history.created_by);
          if (s.index < 0) {
            return (
              <li key={i} className="layer empty" data-testid="layer-empty" title="Metadata only: no files">
                <span className="layer-text" title={text}>
                  {text}
                </span>
                <span className="muted">0 B</span>
              </li>
            );
          }
          const sel = layer === s.index;
          return (
            <li key={i} className={`layer${sel ? " selected" : ""}`}>
              <button type="button" className="layer-button" aria-pressed={sel} onClick={() => setLayer(sel ? null : s.index)} data-testid="layer" title={text}>
                <span className="layer-text">{text}</span>
                <span className="layer-meta">
                  {humanSize(s.size)}
                  {s.sharedBy > 1 ? <span className="badge" title={`${s.sharedBy} images have this layer`}>shared by {s.sharedBy}</span> : null}
                </span>
              </button>
            </li>
          );
        })}
      </ol>
      {layer !== null && <LayerFiles key={layer} refName={ref} index={layer} instruction={instructionText(steps.find((s) => s.index === layer)?.history.created_by)} />}
    </section>
  );
}

function LayerFiles(props: { refName: string; index: number; instruction: string }) {
  const [merged, setMerged] = useState(false);
  const [items, setItems] = useState<FsItem[] | null>(null);
  const [note, setNote] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setItems(null);
    setNote(null);
    const load = merged
      ? getExplore()
          .imageFilesystem(props.refName, props.index)
          .then((r) => {
            if (r.truncated) setNote(`Showing the first ${r.entries.length} paths.`);
            return r.entries.map((e: ExploreEntry) => ({ ...e }));
          })
      : getDocker().imageLayerChanges(props.refName, props.index);
    load.then(
      (list) => live && setItems(list),
      (err) => live && setNote(message(err)),
    );
    return () => {
      live = false;
    };
  }, [merged, props.refName, props.index]);

  const counts = items && !merged ? { A: items.filter((i) => i.kind === "A").length, C: items.filter((i) => i.kind === "C").length, D: items.filter((i) => i.kind === "D").length } : null;
  return (
    <section className="layer-files" aria-label={`Files of layer ${props.index + 1}`} data-testid="layer-files">
      <div className="detail-head">
        <h4>
          Layer {props.index + 1}: <code>{props.instruction}</code>
        </h4>
      </div>
      <div className="segmented" role="radiogroup" aria-label="Which files">
        <label>
          <input type="radio" name={`lf-${props.index}`} checked={!merged} onChange={() => setMerged(false)} /> This layer's changes
        </label>
        <label>
          <input type="radio" name={`lf-${props.index}`} checked={merged} onChange={() => setMerged(true)} /> Whole filesystem up to here
        </label>
      </div>
      {counts && (
        <p className="muted small-text">
          <span className="mark mark-A">A</span> {counts.A} added · <span className="mark mark-C">C</span> {counts.C} changed · <span className="mark mark-D">D</span>{" "}
          {counts.D} deleted
        </p>
      )}
      {merged && <p className="muted small-text">Highlighted: written by this layer.</p>}
      {note && <p className="muted">{note}</p>}
      {items === null && !note && <p className="muted">Reading the layer…</p>}
      {items && (
        <FsTreeView
          items={items}
          label={merged ? "Filesystem up to this layer" : "Changes in this layer"}
          highlight={merged ? (i) => (i as ExploreEntry).layer === props.index : undefined}
          testId="fs-tree"
        />
      )}
    </section>
  );
}
