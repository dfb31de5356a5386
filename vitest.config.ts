import { defineConfig } from "vitest/config";

// Unit tests (pure TS, storage conformance) and the engine-in-Node tests that
// boot the real guest. Guest tests are slow to start, so they get long timeouts
// and run in one fork so that only one emulator competes for the two cores.
export default defineConfig({
  test: {
    include: ["tests/unit/**/*.test.ts", "tests/vm/**/*.test.ts", "tests/registry/**/*.test.ts", "src/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
    fileParallelism: false,
  },
});
