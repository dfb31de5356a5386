#!/usr/bin/env node
// `npm test`: the whole suite, with its set-up.
//   1. type check and lint;
//   2. unit tests and the engine/guest tests in Node (vitest, real guest);
//   3. the static build, and Playwright in Debian's Chromium against it.
// Ends with one line "tests: N passed, N failed".
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const env = { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1" };
const out = mkdtempSync(path.join(tmpdir(), "berth-test-"));
let passed = 0;
let failed = 0;
let ok = true;

function run(title, cmd, args) {
  console.log(`\n=== ${title}: ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env });
  if (r.status !== 0) {
    console.log(`=== ${title} failed (exit ${r.status ?? r.signal})`);
    ok = false;
  }
  return r.status === 0;
}

function ensureChromium() {
  if (existsSync(chromium)) return true;
  if (process.getuid?.() === 0) {
    run("installing Debian's chromium", "sh", ["-c", "apt-get update -q || true; DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium"]);
  }
  if (!existsSync(chromium)) {
    console.log(`Chromium is not at ${chromium}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);
    return false;
  }
  return true;
}

run("type check", "npx", ["tsc", "-p", "tsconfig.json", "--noEmit"]);
// Includes the boundary rule: UI code reaches the engine only through its API.
run("lint", "npx", ["eslint", "."]);

const vitestJson = path.join(out, "vitest.json");
run("unit and guest tests (Node)", "npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${vitestJson}`]);
if (existsSync(vitestJson)) {
  const r = JSON.parse(readFileSync(vitestJson, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
} else {
  ok = false;
}

if (ensureChromium() && run("static build", "npx", ["vite", "build", "--logLevel", "warn"])) {
  const pwJson = path.join(out, "playwright.json");
  const r = spawnSync("npx", ["playwright", "test", "--reporter=list,json"], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson },
  });
  console.log(`\n=== browser tests (Chromium): exit ${r.status}`);
  if (r.status !== 0) ok = false;
  if (existsSync(pwJson)) {
    const s = JSON.parse(readFileSync(pwJson, "utf8")).stats;
    passed += s.expected;
    failed += s.unexpected + (s.flaky ?? 0);
  }
} else {
  ok = false;
}

rmSync(out, { recursive: true, force: true });
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(ok && failed === 0 && passed > 0 ? 0 : 1);
