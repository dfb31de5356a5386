// docker inspect and the per-type inspect commands: a pretty-printed JSON
// array (4 spaces, like docker), or -f/--format applied to each object.

import type { CommandContext } from "../command.ts";
import { ExitStatus } from "../errors.ts";
import { goJsonIndent } from "../format/inspect.ts";
import { compileFormat, executeFormat } from "../format/list.ts";
import { errorText, isNotFound } from "./shared.ts";

export type Fetch = (name: string) => Promise<unknown>;

/**
 * Looks up every name with `fetch`, prints what was found, and reports the
 * rest as "Error: No such ...: x" (exit 1), the way docker does.
 */
export async function inspectAndPrint(ctx: CommandContext, names: readonly string[], fetch: Fetch, format: string): Promise<number> {
  const template = format && format !== "json" ? compileFormat(format.replace(/\\t/g, "\t").replace(/\\n/g, "\n"), 64) : undefined;
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await fetch(name));
    } catch (err) {
      errors.push(isNotFound(err) ? `Error: ${(err as Error).message}` : errorText(err));
    }
  }
  if (template) {
    for (const obj of found) ctx.out(executeFormat(template, obj) + "\n");
  } else {
    ctx.out(goJsonIndent(found) + "\n");
  }
  if (errors.length > 0) {
    ctx.err(errors.join("\n") + "\n");
    throw new ExitStatus(1);
  }
  return 0;
}
