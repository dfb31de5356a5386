// Instructions -> build plan: global ARGs, stages by name and index, and the
// references between stages (FROM <stage>, COPY --from, RUN --mount from=).

import { BerthError } from "../core/errors.ts";
import { parseDockerfile, sortDiagnostics } from "./parser.ts";
import type {
  ArgInstruction,
  BuildPlan,
  Diagnostic,
  FromInstruction,
  Instruction,
  ParseResult,
  Range,
  Stage,
  StageBase,
} from "./types.ts";

/** Groups parsed instructions into stages and checks stage references. Never throws. */
export function planStages(parsed: ParseResult): BuildPlan {
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const error = (message: string, range: Range): void => void diagnostics.push({ severity: "error", message, range });
  const globalArgs: ArgInstruction[] = [];
  const groups: { from: FromInstruction; instructions: Instruction[] }[] = [];

  for (const ins of parsed.instructions) {
    if (ins.keyword === "FROM") groups.push({ from: ins, instructions: [] });
    else if (groups.length > 0) groups[groups.length - 1]!.instructions.push(ins);
    else if (ins.keyword === "ARG") globalArgs.push(ins);
    else error("no build stage in current context", ins.range);
  }
  if (groups.length === 0 && parsed.instructions.length > 0 && !diagnostics.some((d) => d.severity === "error")) {
    error("dockerfile contains no stages to build", parsed.instructions[0]!.range);
  }

  // Stage names, in order; a later duplicate is an error and does not replace the first.
  const byName = new Map<string, number>();
  groups.forEach((g, index) => {
    const name = g.from.stageName;
    if (name === null) return;
    if (byName.has(name)) {
      const first = groups[byName.get(name)!]!.from.range.start.line;
      error(`duplicate stage name "${name}" (first used on line ${first})`, g.from.range);
    } else byName.set(name, index);
  });

  const stages: Stage[] = groups.map((g, index) => {
    const deps = new Set<number>();
    /** Resolves a literal reference to a stage; null when it names an image. */
    const refer = (what: string, ref: string, range: Range, allowIndex: boolean): number | null => {
      if (allowIndex && /^\d+$/.test(ref)) {
        const i = Number(ref);
        if (i < index) return i;
        if (i === index) error(`circular dependency detected on stage: ${ref} (${what} refers to its own stage)`, range);
        else if (i >= groups.length) error(`invalid stage index ${ref}: there are ${groups.length} stages`, range);
        else error(`${what} refers to stage ${ref}, defined later on line ${groups[i]!.from.range.start.line}: a stage can only use stages defined before it`, range);
        return null;
      }
      const name = ref.toLowerCase();
      const i = byName.get(name);
      if (i === undefined) return null;
      if (i < index) return i;
      if (i === index) {
        if (what === "FROM") return null; // `FROM x AS x`: x is an image
        error(`circular dependency detected on stage: ${name} (${what} refers to its own stage)`, range);
      } else {
        error(`${what} refers to stage "${name}", defined later on line ${groups[i]!.from.range.start.line}: a stage can only use stages defined before it`, range);
      }
      return null;
    };

    let base: StageBase | null = null;
    const image = g.from.image;
    if (!image.includes("$")) {
      if (image === "scratch") base = { kind: "scratch" };
      else {
        const i = refer("FROM", image, g.from.range, false);
        base = i === null ? { kind: "image", ref: image } : { kind: "stage", index: i, name: groups[i]!.from.stageName! };
        if (i !== null) deps.add(i);
      }
    }
    const counts = new Map<string, Instruction[]>();
    for (const ins of g.instructions) {
      if (ins.keyword === "COPY" && ins.from !== null && !ins.from.includes("$")) {
        const i = refer(`COPY --from=${ins.from}`, ins.from, ins.range, true);
        if (i !== null) deps.add(i);
      }
      if (ins.keyword === "RUN") {
        for (const m of ins.mounts) {
          if (m.from === null || m.from.includes("$")) continue;
          const i = refer(`RUN --mount from=${m.from}`, m.from, ins.range, true);
          if (i !== null) deps.add(i);
        }
      }
      if (ins.keyword === "CMD" || ins.keyword === "ENTRYPOINT" || ins.keyword === "HEALTHCHECK") {
        counts.set(ins.keyword, [...(counts.get(ins.keyword) ?? []), ins]);
      }
    }
    for (const [keyword, list] of counts) {
      for (const ins of list.slice(0, -1)) {
        diagnostics.push({
          severity: "warning",
          code: "MultipleInstructionsDisallowed",
          message: `Multiple ${keyword} instructions should not be used in the same stage because only the last one will be used`,
          range: ins.range,
        });
      }
    }
    const last = g.instructions[g.instructions.length - 1] ?? g.from;
    return {
      index,
      name: g.from.stageName,
      from: g.from,
      base,
      instructions: g.instructions,
      dependsOn: [...deps].sort((a, b) => a - b),
      range: { start: g.from.range.start, end: last.range.end },
    };
  });

  sortDiagnostics(diagnostics);
  return { directives: parsed.directives, globalArgs, stages, diagnostics };
}

/** Parses and plans, keeping every diagnostic (for the editor). Never throws. */
export function analyzeDockerfile(text: string): BuildPlan {
  return planStages(parseDockerfile(text));
}

export interface LoadOptions {
  /** Name used in messages and error details; default "Dockerfile". */
  file?: string;
}

/**
 * Parses and plans for the builder: throws a BerthError ("invalid-argument")
 * for the first error, with details {file, line, column, diagnostics}.
 */
export function loadDockerfile(text: string, options: LoadOptions = {}): BuildPlan {
  const plan = analyzeDockerfile(text);
  const errors = plan.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw diagnosticsError(errors, options.file ?? "Dockerfile");
  return plan;
}

export function diagnosticsError(errors: Diagnostic[], file = "Dockerfile"): BerthError {
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""})` : "";
  return new BerthError("invalid-argument", `${file}:${first.range.start.line}: ${first.message}${more}`, {
    file,
    line: first.range.start.line,
    column: first.range.start.column,
    diagnostics: errors,
  });
}

/** Finds a stage by name (case-insensitive) or index; the last stage when target is omitted. */
export function findStage(plan: BuildPlan, target?: string | number): Stage | undefined {
  if (target === undefined || target === "") return plan.stages[plan.stages.length - 1];
  if (typeof target === "number" || /^\d+$/.test(target)) return plan.stages[Number(target)];
  const name = target.toLowerCase();
  return plan.stages.find((s) => s.name === name);
}

/** The stages needed to build `target` (its literal dependencies, transitively), in build order. */
export function stagesFor(plan: BuildPlan, target?: string | number): Stage[] {
  const stage = findStage(plan, target);
  if (!stage) return [];
  const need = new Set<number>();
  const visit = (i: number): void => {
    if (need.has(i)) return;
    need.add(i);
    for (const d of plan.stages[i]!.dependsOn) visit(d);
  };
  visit(stage.index);
  return plan.stages.filter((s) => need.has(s.index));
}
