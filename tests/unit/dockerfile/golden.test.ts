// Golden cases: tests/fixtures/dockerfile/ok/<case>/{Dockerfile,expected.json}
// hold a Dockerfile and the build plan it must give; bad/<case>/ hold one that
// must fail and the errors (range "line:col-line:col" and message) it must give.
//
// The plan is compared in a compact form: ranges are written "L:C-L:C", and
// fields that are null, false or [] are left out (on both sides), so every
// value that matters is spelled out and nothing else can slip in unnoticed.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BerthError } from "../../../src/core/errors.ts";
import { analyzeDockerfile, formatRange, loadDockerfile } from "../../../src/dockerfile/index.ts";

const root = join(import.meta.dirname, "../../fixtures/dockerfile");

function isRange(v: unknown): v is Parameters<typeof formatRange>[0] {
  return typeof v === "object" && v !== null && "start" in v && "end" in v && typeof (v as { start: unknown }).start === "object";
}

export function compact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(compact);
  if (isRange(v)) return formatRange(v);
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === null || x === false || (Array.isArray(x) && x.length === 0)) continue;
      out[k] = compact(x);
    }
    return out;
  }
  return v;
}

const cases = (kind: string): string[] => readdirSync(join(root, kind)).sort();
const read = (kind: string, name: string) => ({
  text: readFileSync(join(root, kind, name, "Dockerfile"), "utf8"),
  expected: JSON.parse(readFileSync(join(root, kind, name, "expected.json"), "utf8")),
});

describe("golden: Dockerfiles that parse", () => {
  it("has enough cases", () => expect(cases("ok").length).toBeGreaterThanOrEqual(25));
  for (const name of cases("ok")) {
    it(name, () => {
      const { text, expected } = read("ok", name);
      const plan = analyzeDockerfile(text);
      expect(compact(plan)).toEqual(expected);
      expect(plan.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(() => loadDockerfile(text)).not.toThrow();
    });
  }
});

describe("golden: Dockerfiles that fail", () => {
  it("has enough cases", () => expect(cases("bad").length).toBeGreaterThanOrEqual(15));
  for (const name of cases("bad")) {
    it(name, () => {
      const { text, expected } = read("bad", name);
      const errors = analyzeDockerfile(text)
        .diagnostics.filter((d) => d.severity === "error")
        .map((d) => ({ range: formatRange(d.range), message: d.message }));
      expect(errors).toEqual(expected.errors);

      // the builder's entry point throws the first one, located
      let thrown: unknown;
      try {
        loadDockerfile(text, { file: "Dockerfile" });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(BerthError);
      const err = thrown as BerthError;
      const first = expected.errors[0];
      const line = Number(first.range.split(":")[0]);
      expect(err.kind).toBe("invalid-argument");
      expect(err.message.startsWith(`Dockerfile:${line}: ${first.message}`)).toBe(true);
      expect(err.details).toMatchObject({ file: "Dockerfile", line });
    });
  }
});
