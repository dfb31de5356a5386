// Parsers and checks for instruction values: ports, signals, durations,
// modes, mounts, users, ADD sources; and "did you mean" suggestions.
// They throw ValueError with Docker's wording; callers add the location.

import type { CopySource, Mount } from "./types.ts";

export class ValueError extends Error {}

// ---- suggestions -----------------------------------------------------------

/** Optimal-string-alignment distance (a swap of two neighbours costs 1). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest option (case-insensitive) if it is close enough to be a typo. */
export function suggest(word: string, options: readonly string[]): string | null {
  if (word === "") return null;
  const w = word.toLowerCase();
  const limit = w.length <= 4 ? 1 : 2;
  let best: string | null = null;
  let bestScore = limit + 1;
  for (const o of options) {
    const score = editDistance(w, o.toLowerCase());
    if (score < bestScore) {
      best = o;
      bestScore = score;
    }
  }
  return best;
}

// ---- ports -----------------------------------------------------------------

export interface PortSpec {
  start: number;
  end: number;
  protocol: "tcp" | "udp" | "sctp";
}

/** EXPOSE's `port[/proto]` and `start-end[/proto]`; proto defaults to tcp. */
export function parsePortSpec(spec: string): PortSpec {
  const slash = spec.indexOf("/");
  let port = spec;
  let proto = "tcp";
  if (slash >= 0) {
    port = spec.slice(0, slash);
    const p = spec.slice(slash + 1);
    if (p.includes("/")) throw new ValueError(`invalid proto: ${p}`);
    if (p !== "") proto = p;
  }
  proto = proto.toLowerCase();
  if (proto !== "tcp" && proto !== "udp" && proto !== "sctp") throw new ValueError(`invalid proto: ${proto}`);
  const m = /^(\d+)(?:-(\d+))?$/.exec(port);
  const start = m ? Number(m[1]) : NaN;
  const end = m ? (m[2] !== undefined ? Number(m[2]) : start) : NaN;
  if (!m || start > 65535 || end > 65535 || end < start) throw new ValueError(`invalid containerPort: ${port}`);
  return { start, end, protocol: proto };
}

// ---- signals ---------------------------------------------------------------

const SIGNALS = new Set(
  (
    "ABRT ALRM BUS CHLD CLD CONT FPE HUP ILL INT IO IOT KILL PIPE POLL PROF PWR QUIT SEGV STKFLT STOP SYS " +
    "TERM TRAP TSTP TTIN TTOU URG USR1 USR2 VTALRM WINCH XCPU XFSZ RTMIN RTMAX"
  ).split(" "),
);
for (let i = 1; i <= 15; i++) {
  SIGNALS.add(`RTMIN+${i}`);
  SIGNALS.add(`RTMAX-${i}`);
}

/** Accepts a signal number or name, with or without SIG (STOPSIGNAL). */
export function checkSignal(raw: string): void {
  if (/^[+-]?\d+$/.test(raw)) {
    if (Number(raw) === 0) throw new ValueError(`Invalid signal: ${raw}`);
    return;
  }
  const name = raw.toUpperCase().replace(/^SIG/, "");
  if (!SIGNALS.has(name)) throw new ValueError(`Invalid signal: ${raw}`);
}

// ---- durations (Go's time.ParseDuration) -------------------------------------

const UNITS: Record<string, number> = { ns: 1, us: 1e3, "\u00b5s": 1e3, "\u03bcs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Parses a Go duration ("30s", "1m30s", "1.5h") to nanoseconds. */
export function parseDuration(s: string): number {
  const orig = s;
  let neg = false;
  if (s[0] === "-" || s[0] === "+") {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw new ValueError(`time: invalid duration ${JSON.stringify(orig)}`);
  let total = 0;
  while (s !== "") {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (m[0] === "" || m[0] === "." || (m[1] === "" && (m[2] ?? "") === "")) {
      throw new ValueError(`time: invalid duration ${JSON.stringify(orig)}`);
    }
    s = s.slice(m[0].length);
    const u = /^[^\d.]*/.exec(s)![0];
    if (u === "") throw new ValueError(`time: missing unit in duration ${JSON.stringify(orig)}`);
    const scale = UNITS[u];
    if (scale === undefined) throw new ValueError(`time: unknown unit ${JSON.stringify(u)} in duration ${JSON.stringify(orig)}`);
    s = s.slice(u.length);
    total += Number(`${m[1] || "0"}.${m[2] || "0"}`) * scale;
  }
  return Math.round(neg ? -total : total);
}

// ---- --chmod -------------------------------------------------------------------

/** Octal (e.g. 755, 0644) or symbolic (u=rwx,g+x) mode, as BuildKit accepts. */
export function checkChmod(raw: string): void {
  if (/^[0-7]{1,4}$/.test(raw)) return;
  if (/^([ugoa]*[-+=][rwxXst]*)(,[ugoa]*[-+=][rwxXst]*)*$/.test(raw)) return;
  throw new ValueError(`invalid chmod parameter: ${raw}`);
}

// ---- USER --------------------------------------------------------------------

/** Splits "user[:group]" at the first ':' that is not inside ${...}. */
export function splitUser(value: string): { user: string; group: string | null } {
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === "$" && value[i + 1] === "{") {
      depth++;
      i++;
    } else if (c === "}" && depth > 0) depth--;
    else if (c === ":" && depth === 0) return { user: value.slice(0, i), group: value.slice(i + 1) };
  }
  return { user: value, group: null };
}

// ---- ADD / COPY sources --------------------------------------------------------

/** How ADD treats a source: a git repository, an http(s) URL, or a path in the context. */
export function classifySource(src: string): "git" | "url" | "path" {
  if (/^git@[^:/]+:/.test(src) || /^(git|ssh):\/\//i.test(src)) return "git";
  if (/^https?:\/\//i.test(src)) {
    const path = src.replace(/[#?].*$/, "");
    return /\.git\/?$/.test(path) ? "git" : "url";
  }
  return "path";
}

export function addSource(src: string): CopySource {
  const kind = classifySource(src);
  return kind === "path" ? { kind, path: src } : { kind, url: src };
}

// ---- RUN --mount ---------------------------------------------------------------

const MOUNT_TYPES = ["bind", "cache", "tmpfs", "secret", "ssh"] as const;

/** Splits one CSV record (Go's encoding/csv, comma separated, "" quoting). */
export function splitCsv(s: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) throw new ValueError(`extraneous or missing " in quoted-field`);
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += s[i++];
      }
      if (i < s.length && s[i] !== ",") throw new ValueError(`extraneous or missing " in quoted-field`);
    } else {
      while (i < s.length && s[i] !== ",") {
        if (s[i] === '"') throw new ValueError(`bare " in non-quoted-field`);
        field += s[i++];
      }
    }
    fields.push(field);
    if (i >= s.length) return fields;
    i++; // the comma
  }
}

const parseBool = (v: string): boolean | null => {
  const l = v.toLowerCase();
  if (["1", "t", "true"].includes(l)) return true;
  if (["0", "f", "false"].includes(l)) return false;
  return null;
};

/**
 * Parses a --mount value like BuildKit. With no `expand`, values holding a
 * `$` are kept unchecked (they are checked again after expansion).
 */
export function parseMount(raw: string, expand?: (word: string) => string): Mount {
  const m: Mount = {
    type: "bind",
    target: null,
    source: null,
    from: null,
    readonly: true,
    id: null,
    sharing: null,
    mode: null,
    uid: null,
    gid: null,
    size: null,
    required: false,
    env: null,
    raw,
  };
  const fields = splitCsv(raw);
  const pairs: [string, string | null, string][] = fields.map((f) => {
    const eq = f.indexOf("=");
    const key = (eq < 0 ? f : f.slice(0, eq)).toLowerCase();
    let value = eq < 0 ? null : f.slice(eq + 1);
    if (value !== null && expand) value = expand(value);
    return [key, value, f];
  });
  const deferred = (v: string): boolean => !expand && v.includes("$");
  // type first, so that the other keys can be checked against it whatever the order
  for (const [key, value] of pairs) {
    if (key !== "type" || value === null) continue;
    const t = value.toLowerCase();
    if ((MOUNT_TYPES as readonly string[]).includes(t)) m.type = t as Mount["type"];
    else if (!deferred(value)) {
      const hint = suggest(value, MOUNT_TYPES);
      throw new ValueError(`unsupported mount type ${JSON.stringify(value)}${hint ? ` (did you mean ${hint}?)` : ""}`);
    }
  }
  let roAuto = true;
  const wrongType = (key: string): ValueError => new ValueError(`unexpected key '${key}' for mount type '${m.type}'`);
  for (const [key, value, field] of pairs) {
    if (value === null) {
      switch (key) {
        case "ro":
        case "readonly":
          m.readonly = true;
          roAuto = false;
          continue;
        case "rw":
        case "readwrite":
          m.readonly = false;
          roAuto = false;
          continue;
        case "required":
          if (m.type !== "secret" && m.type !== "ssh") throw wrongType(key);
          m.required = true;
          continue;
      }
      throw new ValueError(`invalid field '${field}' must be a key=value pair`);
    }
    const check = !deferred(value);
    const bool = (): boolean => {
      const b = parseBool(value);
      if (b === null) throw new ValueError(`invalid value for ${key}: ${value}`);
      return b;
    };
    const uint = (base: number): number => {
      const ok = base === 8 ? /^[0-7]+$/.test(value) : /^\d+$/.test(value);
      if (!ok) throw new ValueError(key === "mode" ? `invalid value ${value} for mode` : `invalid value for ${key}: ${value}`);
      return parseInt(value, base);
    };
    switch (key) {
      case "type":
        break;
      case "from":
        m.from = value;
        break;
      case "source":
      case "src":
        m.source = value;
        break;
      case "target":
      case "dst":
      case "destination":
        m.target = value;
        break;
      case "readonly":
      case "ro":
        if (check) m.readonly = bool();
        roAuto = false;
        break;
      case "rw":
      case "readwrite":
        if (check) m.readonly = !bool();
        roAuto = false;
        break;
      case "required":
        if (m.type !== "secret" && m.type !== "ssh") throw wrongType(key);
        if (check) m.required = bool();
        break;
      case "size":
        if (m.type !== "tmpfs") throw wrongType(key);
        m.size = value;
        break;
      case "id":
        m.id = value;
        break;
      case "sharing": {
        if (m.type !== "cache") throw new ValueError(`invalid cache sharing set for ${m.type} mount`);
        const v = value.toLowerCase();
        if (v === "shared" || v === "private" || v === "locked") m.sharing = v;
        else if (check) throw new ValueError(`unsupported sharing value ${JSON.stringify(value)}`);
        break;
      }
      case "mode":
        if (check) m.mode = uint(8);
        break;
      case "uid":
        if (check) m.uid = uint(10);
        break;
      case "gid":
        if (check) m.gid = uint(10);
        break;
      case "env":
        if (m.type !== "secret") throw wrongType(key);
        m.env = value;
        break;
      default:
        throw new ValueError(`unexpected key '${key}' in '${field}'`);
    }
  }
  const fileInfoAllowed = m.type === "secret" || m.type === "ssh" || m.type === "cache";
  if (!fileInfoAllowed) {
    for (const k of ["mode", "uid", "gid"] as const) {
      if (m[k] !== null) throw new ValueError(`${k} not allowed for ${JSON.stringify(m.type)} type mounts`);
    }
  }
  if (roAuto) m.readonly = !(m.type === "cache" || m.type === "tmpfs");
  if (m.type === "secret") {
    if (m.from !== null) throw new ValueError("secret mount should not have a from");
    if (m.source === null && m.target === null && m.id === null && m.env === null) {
      throw new ValueError("invalid secret mount: one of id, source, target or env is required");
    }
    if (m.source !== null && m.id !== null) throw new ValueError("both source and id can't be set");
  }
  if ((m.type === "bind" || m.type === "cache" || m.type === "tmpfs") && m.target === null) {
    throw new ValueError(`mount type=${m.type} requires a target`);
  }
  return m;
}
