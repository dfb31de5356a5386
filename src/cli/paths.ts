// POSIX path helpers for local paths (the page's workspace and Node both use "/").

import { cleanPath } from "../core/paths.ts";

/** Go's path.Clean (see src/core/paths.ts). */
export const normalizePath = cleanPath;

export function resolvePath(base: string, p: string): string {
  return normalizePath(p.startsWith("/") ? p : `${base}/${p}`);
}

export function joinPath(...parts: string[]): string {
  return normalizePath(parts.filter((p) => p !== "").join("/"));
}

export function basename(p: string): string {
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return p.startsWith("/") ? "/" : "";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

export function dirname(p: string): string {
  const trimmed = p.replace(/\/+$/, "");
  const i = trimmed.lastIndexOf("/");
  if (i < 0) return ".";
  if (i === 0) return "/";
  return trimmed.slice(0, i);
}

/** `child` relative to `parent`, or null when it is not inside it. */
export function relativeInside(parent: string, child: string): string | null {
  const a = normalizePath(parent);
  const b = normalizePath(child);
  if (a === b) return ".";
  const prefix = a === "/" ? "/" : a === "." ? "" : a + "/";
  if (prefix === "" ) return b.startsWith("../") || b === ".." || b.startsWith("/") ? null : b;
  return b.startsWith(prefix) ? b.slice(prefix.length) : null;
}
