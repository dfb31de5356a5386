// Trees of paths for the layer explorer and the volume browser: a flat list
// of absolute paths (with their A/C/D marks, if any) made into folders.

export interface FsItem {
  path: string;
  type: string;
  size: number;
  mode?: number;
  linkname?: string;
  kind?: "A" | "C" | "D";
}

export interface FsNode {
  name: string;
  path: string;
  item?: FsItem;
  children: FsNode[];
  /** Bytes of the files in it (a file: its size). */
  size: number;
  /** Number of marked items under it (itself included). */
  marks: { A: number; C: number; D: number };
}

/** Builds the tree; folders first, then by name. Parents no entry listed are made up. */
export function buildFsTree(items: readonly FsItem[]): FsNode {
  const root: FsNode = { name: "/", path: "/", children: [], size: 0, marks: { A: 0, C: 0, D: 0 } };
  const byPath = new Map<string, FsNode>([["/", root]]);
  const node = (path: string): FsNode => {
    let n = byPath.get(path);
    if (n) return n;
    const slash = path.lastIndexOf("/");
    const parent = node(slash <= 0 ? "/" : path.slice(0, slash));
    n = { name: path.slice(slash + 1), path, children: [], size: 0, marks: { A: 0, C: 0, D: 0 } };
    parent.children.push(n);
    byPath.set(path, n);
    return n;
  };
  for (const item of items) {
    const path = "/" + item.path.replace(/^\/+/, "").replace(/\/+$/, "");
    if (path === "/") continue;
    node(path).item = item;
  }
  const finish = (n: FsNode): void => {
    for (const c of n.children) finish(c);
    n.children.sort((a, b) => Number(isDir(b)) - Number(isDir(a)) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const own = n.item && n.item.type === "file" && n.item.kind !== "D" ? n.item.size : 0;
    n.size = own + n.children.reduce((s, c) => s + c.size, 0);
    const marks = { A: 0, C: 0, D: 0 };
    if (n.item?.kind) marks[n.item.kind]++;
    for (const c of n.children) {
      marks.A += c.marks.A;
      marks.C += c.marks.C;
      marks.D += c.marks.D;
    }
    n.marks = marks;
  };
  finish(root);
  return root;
}

export function isDir(n: FsNode): boolean {
  return n.children.length > 0 || n.item?.type === "dir";
}

/** "drwxr-xr-x"-style mode text. */
export function modeString(type: string, mode: number): string {
  const t = type === "dir" ? "d" : type === "symlink" ? "l" : type === "char" ? "c" : type === "block" ? "b" : type === "fifo" ? "p" : "-";
  const bits = "rwxrwxrwx";
  let s = "";
  for (let i = 0; i < 9; i++) s += mode & (1 << (8 - i)) ? bits[i] : "-";
  return t + s;
}
