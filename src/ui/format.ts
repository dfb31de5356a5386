// Sizes, times and docker's words, as the panels show them.

/** docker's sizes (go-units, base 1000): "4.26MB", "512B". */
export function humanSize(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "—";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : Number(v.toPrecision(3))}${units[i]}`;
}

/** "3 minutes ago", from an ISO time. */
export function timeAgo(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s} seconds ago`;
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? "a minute ago" : `${m} minutes ago`;
  const h = Math.round(m / 60);
  if (h < 48) return h === 1 ? "an hour ago" : `${h} hours ago`;
  const d = Math.round(h / 24);
  return `${d} days ago`;
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
