// Small option values: environment, labels, filters, restart policies, detach keys.

import type { RestartPolicy } from "../../core/engine-api.ts";

export type EnvLookup = (name: string) => string | undefined;

/**
 * -e values: "K=V" as is; "K" takes K's value from the CLI's environment
 * when set, else stays "K" (dockerd then drops K from the container's env).
 */
export function resolveEnv(value: string, lookup: EnvLookup): string {
  if (value.includes("=")) {
    if (value.startsWith("=")) throw new Error(`invalid environment variable: ${value}`);
    return value;
  }
  if (value === "") throw new Error("invalid environment variable: ");
  const v = lookup(value);
  return v === undefined ? value : `${value}=${v}`;
}

/**
 * An --env-file: one VAR=VALUE a line, '#' comments and blank lines skipped,
 * leading white space trimmed, the value kept literally (quotes included),
 * "VAR" alone resolved as for -e.
 */
export function parseEnvFile(text: string, lookup: EnvLookup, fileName = "env file"): string[] {
  const out: string[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    let line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (i === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    line = line.replace(/^[ \t\n\v\f\r]+/, "");
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    const name = eq < 0 ? line : line.slice(0, eq);
    if (name === "") throw new Error(`${fileName}:${i + 1}: no variable name on line '${line}'`);
    if (/\s/.test(name)) throw new Error(`variable '${name}' contains whitespaces`);
    out.push(eq < 0 ? resolveEnv(name, lookup) : line);
  });
  return out;
}

/** --label values ("k=v", "k") → a map. */
export function parseLabels(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq === 0) throw new Error(`invalid label '${v}': empty name`);
    if (eq < 0) out[v] = "";
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** --filter values ("status=exited") → the map the engine takes ({status: ["exited"]}). */
export function parseFilters(values: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new Error(`bad format of filter (expected name=value)`);
    const key = v.slice(0, eq).trim().toLowerCase();
    (out[key] ??= []).push(v.slice(eq + 1).trim());
  }
  return out;
}

/** Checks a filter map's keys; throws docker's "invalid filter 'x'". */
export function checkFilterKeys(filters: Record<string, string[]>, allowed: readonly string[]): void {
  for (const key of Object.keys(filters)) if (!allowed.includes(key)) throw new Error(`invalid filter '${key}'`);
}

/** --restart: no, always, unless-stopped, on-failure[:N]. */
export function parseRestartPolicy(value: string): RestartPolicy {
  const [name, count, ...extra] = value.split(":");
  if (extra.length > 0) throw new Error(`invalid restart policy format: ${value}`);
  switch (name) {
    case "":
    case "no":
    case "always":
    case "unless-stopped":
      if (count !== undefined) throw new Error(`maximum retry count cannot be used with restart policy '${name}'`);
      return { name: name === "" ? "no" : name };
    case "on-failure": {
      if (count === undefined) return { name: "on-failure" };
      if (!/^\d+$/.test(count)) throw new Error(`invalid restart policy format: maximum retry count must be an integer`);
      return { name: "on-failure", maximumRetryCount: Number(count) };
    }
    default:
      throw new Error(`invalid restart policy format: unknown policy '${name}'; use on-failure, always, unless-stopped or no`);
  }
}

/** --detach-keys: "ctrl-p,ctrl-q" → the bytes that detach. */
export function parseDetachKeys(value: string): Uint8Array {
  const out: number[] = [];
  for (const key of value.split(",")) {
    const k = key.trim().toLowerCase();
    if (k.length === 1) out.push(k.charCodeAt(0));
    else if (/^ctrl-[a-z@[\\\]^_]$/.test(k)) {
      const c = k[5]!;
      out.push(c >= "a" && c <= "z" ? c.charCodeAt(0) - 96 : c.charCodeAt(0) - 64);
    } else throw new Error(`Unknown character: '${key}'`);
  }
  if (out.length === 0) throw new Error("Unknown character: ''");
  return new Uint8Array(out);
}

export const DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q";
