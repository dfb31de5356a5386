// Sizes, times and docker's words, as the panels show them.

import { humanSize as dockerSize, timeAgo as dockerTimeAgo } from "../cli/format/units.ts";

/** docker's sizes (go-units, base 1000): "4.26MB", "512B", as `docker images` prints them. */
export function humanSize(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "—";
  return dockerSize(n, 3);
}

/** "3 minutes ago", "2 years ago", from an ISO time: docker's words, lower case to sit in a sentence. */
export function timeAgo(iso: string, now = Date.now()): string {
  const text = dockerTimeAgo(iso, now);
  if (text === "N/A") return "";
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** "0.4s", "12s", "1m 5s". */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return "";
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}

/** A history step's instruction, without the shell wrapper docker puts around RUN. */
export function instructionText(createdBy: string | undefined): string {
  if (!createdBy) return "(no history)";
  let t = createdBy.trim();
  t = t.replace(/^\/bin\/sh -c #\(nop\)\s*/, "");
  t = t.replace(/^\/bin\/sh -c /, "RUN ");
  t = t.replace(/\s*# buildkit$/, "");
  t = t.replace(/^RUN (\|\d+ .*? )?\/bin\/sh -c /, "RUN $1");
  return t;
}
