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

// What the tests need from Debian: Chromium for the browser tests, a real
// registry and neutral validators (skopeo, umoci, htpasswd) for the registry
// tests. As root, missing ones are installed; otherwise we say what to install.
const debianNeeds = [
  ["chromium", chromium],
  ["docker-registry", "/usr/bin/docker-registry"],
  ["skopeo", "/usr/bin/skopeo"],
  ["umoci", "/usr/bin/umoci"],
  ["apache2-utils", "/usr/bin/htpasswd"],
];

function ensureDebianPackages() {
  const missing = () => debianNeeds.filter(([, file]) => !existsSync(file)).map(([pkg]) => pkg);
  let need = missing();
  if (need.length && process.getuid?.() === 0) {
    run(`installing Debian packages: ${need.join(" ")}`, "sh", [
      "-c",
      `apt-get update -q || apt-get update -q || true; DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${need.join(" ")}`,
    ]);
    need = missing();
  }
  if (need.length) {
    console.log(`Missing Debian packages: ${need.join(" ")}. Install them (sudo apt-get install ${need.join(" ")}) or set CHROMIUM_PATH for Chromium.`);
    return false;
  }
  return true;
}

const haveDebian = ensureDebianPackages();

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

if (haveDebian && run("static build", "npx", ["vite", "build", "--logLevel", "warn"])) {
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
