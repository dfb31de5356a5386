import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

// The lint rule that keeps the page on the engine's API (eslint.config.js).
describe("UI boundary lint rule", () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const lint = async (code: string, filePath: string) => {
    const [result] = await eslint.lintText(code, { filePath });
    return result.messages.map((m) => m.ruleId);
  };

  it("forbids v86, idb-keyval, src/storage, src/vm and IndexedDB in src/ui", async () => {
    const code = [
      'import "v86";',
      'import { get } from "idb-keyval";',
      'import { openIdbStorage } from "../storage/idb.ts";',
      'import type { GuestVM } from "../vm/guest.ts";',
      "export const a = [get, openIdbStorage] as unknown as GuestVM;",
      'export const b = indexedDB.open("x");',
      "export const c = self.indexedDB;",
      'export const d = import("../vm/guest.ts");',
    ].join("\n");
    expect(await lint(code, "src/ui/Example.tsx")).toEqual([
      "no-restricted-imports",
      "no-restricted-imports",
      "no-restricted-imports",
      "no-restricted-imports",
      "no-restricted-globals",
      "no-restricted-properties",
      "no-restricted-syntax",
    ]);
  });

  it("lets the page use the engine's API and the engine use storage", async () => {
    expect(await lint('import { getEngine } from "./engine.ts";\nexport const e = getEngine;\n', "src/ui/Example.tsx")).toEqual([]);
    expect(await lint('import { openIdbStorage } from "../storage/idb.ts";\nexport const s = openIdbStorage;\nexport const i = indexedDB;\n', "src/engine/example.ts")).toEqual([]);
  });
});
