// Tab completion for the terminal: command names, sub-commands, flags, and
// names the engine knows (containers, images, volumes, networks).
//
//   const { start, end, candidates } = await complete("docker run --net", 16, engine);
//   // candidates ["--network", "--network-alias"], replacing line.slice(start, end)

import type { EngineApi } from "../core/engine-api.ts";
import type { CompletionKind } from "./complete-kinds.ts";
import { GLOBAL_FLAGS, allGroups, groupWords, resolveCommand, topLevelWords } from "./docker.ts";
import type { FlagSpec } from "./flags.ts";
import { tokenize } from "./tokenize.ts";

export interface Completion {
  /** The part of the line the candidates replace: line.slice(start, end). */
  start: number;
  end: number;
  /** Full words for that part, sorted. */
  candidates: string[];
}

function longNames(flags: readonly FlagSpec[]): string[] {
  return flags.filter((f) => !f.hidden).map((f) => `--${f.name}`);
}

async function names(kind: CompletionKind | undefined, engine: EngineApi): Promise<string[]> {
  if (kind === undefined || kind === "none" || kind === "file") return [];
  if (typeof kind !== "string") return [...kind];
  try {
    switch (kind) {
      case "container":
        return (await engine.containerList({ all: true })).map((c) => c.name);
      case "container-running":
        return (await engine.containerList({})).filter((c) => c.state === "running").map((c) => c.name);
      case "container-stopped":
        return (await engine.containerList({ all: true })).filter((c) => c.state === "exited" || c.state === "created" || c.state === "dead").map((c) => c.name);
      case "container-paused":
        return (await engine.containerList({ all: true })).filter((c) => c.state === "paused").map((c) => c.name);
      case "image":
        return (await engine.imageList()).flatMap((i) => i.repoTags);
      case "volume":
        return (await engine.volumeList()).map((v) => v.name);
      case "network":
        return (await engine.networkList()).map((n) => n.name);
    }
  } catch {
    return [];
  }
  return [];
}

function matching(words: Iterable<string>, prefix: string): string[] {
  return [...new Set([...words].filter((w) => w.startsWith(prefix)))].sort();
}

export async function complete(line: string, cursor: number, engine: EngineApi): Promise<Completion> {
  const before = line.slice(0, cursor);
  const { tokens, open } = tokenize(before);
  const endsWithBlank = open === undefined && (before === "" || /\s$/.test(before));
  const current = endsWithBlank ? { value: "", start: cursor, end: cursor } : (tokens.pop() ?? { value: "", start: cursor, end: cursor });
  const result = (candidates: string[], start = current.start): Completion => ({ start, end: cursor, candidates });
  let words = tokens.map((t) => t.value);
  const prefix = current.value;
  if (words.length === 0) {
    // The first word: "docker" itself, or a command when the terminal leaves "docker" out.
    if (prefix.startsWith("-")) return result([]);
    return result(matching(["docker", ...topLevelWords()], prefix));
  }
  if (words[0] === "docker") words = words.slice(1);
  // Global flags before the command.
  while (words[0]?.startsWith("-")) words = words.slice(1);

  if (words.length === 0) {
    if (prefix.startsWith("-")) return result(matching(longNames(GLOBAL_FLAGS), prefix));
    return result(matching(topLevelWords(), prefix));
  }
  if (words.length === 1 && allGroups().some((g) => g.name === words[0])) {
    if (prefix.startsWith("-")) return result([]);
    return result(matching(groupWords(words[0]!), prefix));
  }
  const resolved = resolveCommand(words);
  if (resolved.kind !== "command") return result([]);
  const cmd = resolved.cmd;
  const rest = words.slice(resolved.path.length);
  const interspersed = cmd.interspersed ?? true;
  const byLong = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const f of cmd.flags) {
    byLong.set(f.name, f);
    for (const a of f.aliases ?? []) byLong.set(a, f);
    if (f.short) byShort.set(f.short, f);
  }
  let positional = 0;
  let flagsDone = false;
  let pending: FlagSpec | undefined;
  for (const w of rest) {
    if (pending) {
      pending = undefined;
      continue;
    }
    if (!flagsDone && w === "--") {
      flagsDone = true;
      continue;
    }
    if (!flagsDone && w.startsWith("--")) {
      const name = w.slice(2).split("=")[0]!;
      const f = byLong.get(name);
      if (f && f.kind !== "bool" && !w.includes("=")) pending = f;
      continue;
    }
    if (!flagsDone && w.startsWith("-") && w.length > 1) {
      for (let i = 1; i < w.length; i++) {
        const f = byShort.get(w[i]!);
        if (f && f.kind !== "bool") {
          if (i === w.length - 1) pending = f;
          break;
        }
      }
      continue;
    }
    positional++;
    if (!interspersed) flagsDone = true;
  }
  if (pending) return result(matching(await names(pending.complete, engine), prefix));
  if (!flagsDone && prefix.startsWith("--") && prefix.includes("=")) {
    const eq = prefix.indexOf("=");
    const f = byLong.get(prefix.slice(2, eq));
    const valuePrefix = prefix.slice(eq + 1);
    return result(matching(await names(f?.complete, engine), valuePrefix), current.start + (current.end - current.start) - valuePrefix.length);
  }
  if (!flagsDone && prefix.startsWith("-")) {
    const shorts = prefix === "-" ? cmd.flags.filter((f) => f.short && !f.hidden).map((f) => `-${f.short}`) : [];
    return result([...matching(longNames(cmd.flags), prefix), ...shorts.sort()]);
  }
  const kinds = cmd.argKinds ?? [];
  const kind = kinds.length === 0 ? undefined : kinds[Math.min(positional, kinds.length - 1)];
  return result(matching(await names(kind, engine), prefix));
}
