// Sizes and durations the way docker prints and parses them (go-units rules):
//   humanSize(4_260_000)        "4.26MB"   decimal units, docker images / ps
//   bytesSize(2_087_000_000)    "1.944GiB" binary units, docker info
//   humanDuration(90_000)       "About a minute"
//   parseBytes("512m")          536870912  (-m/--memory, tmpfs-size: binary units)

const DECIMAL = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/** Go's %.<precision>g for a finite number (sizes and durations: no tiny values). */
export function formatG(value: number, precision: number): string {
  if (value === 0) return "0";
  const s = value.toPrecision(precision);
  const e = s.indexOf("e");
  if (e < 0) return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  let mantissa = s.slice(0, e);
  if (mantissa.includes(".")) mantissa = mantissa.replace(/0+$/, "").replace(/\.$/, "");
  const exp = Number(s.slice(e + 1));
  return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

function sizeAndUnit(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

/** Decimal size with `precision` significant digits: "4.26MB" (3), "16.43MB" (4). */
export function humanSize(bytes: number, precision = 4): string {
  const [size, unit] = sizeAndUnit(Math.max(0, bytes), 1000, DECIMAL);
  return formatG(size, precision) + unit;
}

/** Binary size: "1.944GiB". */
export function bytesSize(bytes: number): string {
  const [size, unit] = sizeAndUnit(Math.max(0, bytes), 1024, BINARY);
  return formatG(size, 4) + unit;
}

/** docker's HumanDuration: "Less than a second", "3 seconds", "About a minute", "2 hours", "3 weeks". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(ms / 60_000);
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** "3 minutes ago" from an ISO time; "N/A" when the time is missing or unparsable. */
export function timeAgo(iso: string | undefined, now: number): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t) || t <= 0) return "N/A";
  return `${humanDuration(Math.max(0, now - t))} ago`;
}

const SIZE = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const MULTIPLIER: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: "512m", "1.5g", "100000", "64MiB" → bytes; throws "invalid size: 'x'". */
export function parseBytes(text: string): number {
  const m = SIZE.exec(text);
  if (!m || m[1]!.split(".").length > 2) throw new Error(`invalid size: '${text}'`);
  const n = Number(m[1]);
  const unit = m[2]?.toLowerCase();
  return Math.floor(n * (unit ? MULTIPLIER[unit]! : 1));
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds: "1h30m", "10s", "250ms", "-5m". Throws on bad input. */
export function parseGoDuration(text: string): number {
  const orig = text;
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw new Error(`time: invalid duration ${JSON.stringify(orig)}`);
  let total = 0;
  const part = /^(\d*(?:\.\d*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m || m[1] === "" || m[1] === ".") {
      if (/^\d*(?:\.\d*)?$/.test(s)) throw new Error(`time: missing unit in duration ${JSON.stringify(orig)}`);
      throw new Error(`time: invalid duration ${JSON.stringify(orig)}`);
    }
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/** Seconds with one decimal as BuildKit shows durations: "0.3s", "12.0s". */
export function buildDuration(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}
