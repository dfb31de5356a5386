// Times as docker prints and accepts them.

import { parseGoDuration } from "./units.ts";

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** "2026-11-28T00:00:00.000000000Z" (docker's RFC3339NanoFixed, in UTC) from ms and extra nanoseconds. */
export function rfc3339NanoFixed(ms: number, nanosWithinMs = 0): string {
  const d = new Date(Math.floor(ms));
  const nanos = d.getUTCMilliseconds() * 1_000_000 + nanosWithinMs;
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(nanos, 9)}Z`
  );
}

/** RFC3339NanoFixed from a nanosecond count as a decimal string ("1764288000123456789"). */
export function rfc3339FromNanos(nanos: string): string {
  const n = BigInt(nanos);
  const ms = Number(n / 1_000_000n);
  const rest = Number(n % 1_000_000n);
  return rfc3339NanoFixed(ms, rest);
}

/** RFC3339NanoFixed from an ISO string, keeping sub-millisecond digits if the string has them. */
export function rfc3339FromIso(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const frac = /\.(\d+)/.exec(iso)?.[1] ?? "";
  const extra = frac.length > 3 ? Number(frac.slice(3, 9).padEnd(6, "0")) : 0;
  return rfc3339NanoFixed(ms, extra);
}

/** Go's time.Time.String() in UTC, as docker's .CreatedAt: "2026-11-28 00:00:00 +0000 UTC". */
export function goTimeString(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000 UTC`;
}

/** RFC 3339 without fractions, as docker history shows CREATED with -H=false: "2026-11-28T00:00:00Z". */
export function rfc3339Seconds(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

/**
 * A --since/--until value: a Go duration back from now ("10m", "1h30m"), a
 * Unix time ("1764288000", "1764288000.5") or an RFC 3339 date/time
 * ("2026-11-28", "2026-11-28T10:00:00", "2026-11-28T10:00:00Z"). Returns ms
 * since the epoch; throws with a message naming the value.
 */
export function parseTimestamp(value: string, now: number): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  try {
    return now - parseGoDuration(value);
  } catch {
    // not a duration
  }
  let text = value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += "T00:00:00";
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) text += "Z";
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || !Number.isFinite(ms)) {
    throw new Error(`failed to parse value as time or duration: "${value}"`);
  }
  return ms;
}
