// ESLint (flat config) for the whole repository: `npm run lint`.
//
// Besides the usual JavaScript and typescript-eslint checks, it holds one
// architectural rule: the page (src/ui) reaches the engine only through its
// API (src/ui/engine.ts, comlink), the way the docker CLI talks to dockerd.
// So UI code may not import the emulator, the storage layer or the VM layer,
// nor touch IndexedDB itself.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const boundary = "The page reaches the engine only through its API (src/ui/engine.ts): ";

export default defineConfig(
  globalIgnores(["dist/", "node_modules/", "public/", "test-results/", "playwright-report/", "wasm/", "**/*.tmp.*"]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.browser, ...globals.worker, ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: "warn" },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    // Repository-wide adjustments, from what failed when this config landed:
    // control characters in regexes are normal in tar and terminal code, and
    // a few style rules are warnings outside the page's own code.
    rules: {
      "no-control-regex": "off",
      "preserve-caught-error": "warn",
      "prefer-const": "warn",
      "no-regex-spaces": "warn",
    },
  },
  {
    files: ["src/ui/**", "src/engine/workspace.ts", "tests/unit/ui/**", "tests/unit/engine/workspace.test.ts", "tests/browser/workspace.spec.ts"],
    rules: {
      "preserve-caught-error": "error",
      "prefer-const": "error",
      "no-regex-spaces": "error",
    },
  },
  {
    files: ["src/ui/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
    },
  },
  {
    // The boundary: UI code never imports v86, idb-keyval, src/storage or src/vm, and never uses IndexedDB.
    files: ["src/ui/**/*.{ts,tsx,js,jsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "v86", message: boundary + "the emulator runs in the engine worker." },
            { name: "idb-keyval", message: boundary + "storage lives in the engine worker." },
          ],
          patterns: [
            { group: ["v86/*"], message: boundary + "the emulator runs in the engine worker." },
            { group: ["idb-keyval/*"], message: boundary + "storage lives in the engine worker." },
            { regex: "(^|/)src/storage(/|$)|^(\\.\\./)+storage(/|$)", message: boundary + "src/storage belongs to the engine." },
            { regex: "(^|/)src/vm(/|$)|^(\\.\\./)+vm(/|$)", message: boundary + "src/vm belongs to the engine." },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        { name: "indexedDB", message: boundary + "use the workspace and engine APIs; IndexedDB is the worker's." },
      ],
      "no-restricted-properties": [
        "error",
        { property: "indexedDB", message: boundary + "use the workspace and engine APIs; IndexedDB is the worker's." },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportExpression[source.value=/^(v86|idb-keyval)(\\/|$)|(^|\\/)(src\\/)?(storage|vm)(\\/|$)/]",
          message: boundary + "no dynamic import of the emulator, storage or VM layers either.",
        },
      ],
    },
  },
);
