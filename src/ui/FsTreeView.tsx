// A read-only file tree (layer explorer, volume browser): folders open and
// close; A/C/D marks for a layer's changes; sizes and modes on each row.
import { useMemo, useState } from "react";
import { buildFsTree, isDir, modeString, type FsItem, type FsNode } from "./fs-tree.ts";
import { humanSize } from "./format.ts";
import { Icon } from "./icons.tsx";

const MARK_TITLE = { A: "added", C: "changed", D: "deleted" } as const;

export function FsTreeView(props: { items: readonly FsItem[]; label: string; expandAll?: boolean; highlight?: (item: FsItem) => boolean; testId?: string }) {
  const root = useMemo(() => buildFsTree(props.items), [props.items]);
  const count = props.items.length;
  // Small trees (a layer's changes) open fully; big ones (a whole filesystem) one level.
  const openAll = props.expandAll ?? count <= 150;
  // The A/C/D column only where there are marks (a layer's changes, not a volume's files).
  const marks = useMemo(() => props.items.some((i) => i.kind), [props.items]);
  if (root.children.length === 0) return <p className="muted">No files.</p>;
  return (
    <ul className="fs-tree" role="tree" aria-label={props.label} data-testid={props.testId}>
      {root.children.map((c) => (
        <FsRow key={c.path} node={c} depth={0} openAll={openAll} marks={marks} highlight={props.highlight} />
      ))}
    </ul>
  );
}

function FsRow(props: { node: FsNode; depth: number; openAll: boolean; marks: boolean; highlight?: (item: FsItem) => boolean }) {
  const { node } = props;
  const dir = isDir(node);
  const [open, setOpen] = useState(props.openAll || (props.depth === 0 && node.children.length <= 30 && node.marks.A + node.marks.C + node.marks.D > 0));
  const item = node.item;
  const kind = item?.kind;
  const hot = item && props.highlight?.(item);
  const summary = dir ? `${node.children.length} item${node.children.length === 1 ? "" : "s"}` : humanSize(node.size);
  return (
    <li role="treeitem" aria-expanded={dir ? open : undefined} aria-level={props.depth + 1} className="fs-item" data-kind={kind}>
      <div className={`fs-row${hot ? " hot" : ""}`} style={{ paddingLeft: 4 + props.depth * 14 }}>
        {dir ? (
          <button type="button" className="fs-twisty" aria-label={`${open ? "Close" : "Open"} ${node.name}`} onClick={() => setOpen((o) => !o)}>
            <Icon name={open ? "chevronDown" : "chevronRight"} size={12} />
          </button>
        ) : (
          <span className="fs-twisty" />
        )}
        {kind ? (
          <span className={`mark mark-${kind}`} title={MARK_TITLE[kind]} data-testid="fs-mark">
            {kind}
          </span>
        ) : props.marks ? (
          <span className="mark" />
        ) : null}
        <Icon name={dir ? "folder" : "file"} size={14} />
        <span className={`fs-name${kind === "D" ? " deleted" : ""}`}>
          {node.name}
          {item?.type === "symlink" && item.linkname ? <span className="muted"> → {item.linkname}</span> : null}
        </span>
        <span className="fs-meta muted" title={item?.mode !== undefined ? modeString(item.type, item.mode) : undefined}>
          {summary}
        </span>
      </div>
      {dir && open && (
        <ul role="group">
          {node.children.map((c) => (
            <FsRow key={c.path} node={c} depth={props.depth + 1} openAll={props.openAll} marks={props.marks} highlight={props.highlight} />
          ))}
        </ul>
      )}
    </li>
  );
}
