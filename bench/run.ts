// npm run bench [-- --json]: guest benchmarks in Node and in Chromium.
// Prints a table (or one JSON object with --json). Goals are checked here,
// never by timed assertions in tests.
import { chromium } from "@playwright/test";
import { spawn } from "node:child_process";
import { startRegistry, type TestRegistry } from "../scripts/registry.mjs";
import { benchEngine, type EngineBenchResult } from "../src/engine/bench.ts";
import { benchRegistry, type RegistryBenchResult } from "../src/engine/bench-registry.ts";
import { createNodeEngine } from "../src/engine/node.ts";
import { createMemoryStorage } from "../src/storage/memory.ts";
import { benchGuest, type GuestBenchResult } from "../src/vm/bench.ts";
import { measurePageReady } from "./page-ready.ts";
import { run, waitForHttp } from "./process.ts";

type Result = GuestBenchResult & EngineBenchResult & Partial<RegistryBenchResult> & { page_ready_ms?: number; page_download_bytes?: number };
import { startNodeGuest } from "../src/vm/node.ts";

const json = process.argv.includes("--json");
const log = (msg: string) => {
  if (!json) console.error(msg);
};

const goals: Record<string, { op: "<=" | ">="; value: number; where?: string }> = {
  restore_ms: { op: "<=", value: 1000, where: "chromium" },
  cold_boot_ms: { op: "<=", value: 3000 },
  exec_rtt_ms: { op: "<=", value: 50 },
  put_mb_s: { op: ">=", value: 20 },
  get_mb_s: { op: ">=", value: 20 },
  state_bytes: { op: "<=", value: 8 * 1024 * 1024 },
  build_first_ms: { op: "<=", value: 3000, where: "chromium" },
  build_cached_ms: { op: "<=", value: 100, where: "chromium" },
  layer_commit_mb_s: { op: ">=", value: 20 },
  run_echo_ms: { op: "<=", value: 200, where: "chromium" },
  page_ready_ms: { op: "<=", value: 1000, where: "chromium" },
  push_mb_s: { op: "<=", value: 1e9 },
  pull_mb_s: { op: "<=", value: 1e9 },
  page_download_bytes: { op: "<=", value: 10 * 1024 * 1024, where: "chromium" },
  exec_echo_ms: { op: "<=", value: 1e9 },
};

async function benchNode(): Promise<Result> {
  log("node: measuring the guest…");
  const guest = await benchGuest((mode) => startNodeGuest({ mode }));
  log("node: measuring the engine…");
  const engine = await createNodeEngine({ storage: createMemoryStorage() });
  try {
    const result = { ...guest, ...(await benchEngine(engine)) };
    log("node: measuring the registry…");
    const target = await createNodeEngine({ storage: createMemoryStorage() });
    try {
      return { ...result, ...(await benchRegistry(engine, target, registry.host)) };
    } finally {
      await target.shutdown();
    }
  } finally {
    await engine.shutdown();
  }
}

async function benchChromium(): Promise<Result> {
  log("chromium: building the page…");
  await run("npx", ["vite", "build", "--logLevel", "error"]);
  const port = 4199;
  const server = spawn("npx", ["vite", "preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"], {
    stdio: "ignore",
    detached: true,
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`);
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      // A new user's first visit: navigation start until the guest is running
      // and the docker terminal shows its prompt, and what the page downloaded
      // (median of 3 visits, each in a fresh browser context).
      const visits: { ms: number; bytes: number }[] = [];
      for (let i = 0; i < 3; i++) {
        const fresh = await browser.newContext();
        visits.push(await measurePageReady(await fresh.newPage(), `http://127.0.0.1:${port}/`));
        await fresh.close();
      }
      visits.sort((a, b) => a.ms - b.ms);
      const { ms: pageReady, bytes: downloaded } = visits[1]!;

      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/?bench`);
      log("chromium: measuring…");
      await page.waitForFunction(() => "berthBench" in window);
      const guest = (await page.evaluate(() => (window as unknown as { berthBench: () => Promise<GuestBenchResult> }).berthBench())) as GuestBenchResult;
      log("chromium: measuring the engine…");
      const engine = (await page.evaluate(() => (window as unknown as { berthEngineBench: () => Promise<EngineBenchResult> }).berthEngineBench())) as EngineBenchResult;
      log("chromium: measuring the registry…");
      const reg = (await page.evaluate((host) => (window as unknown as { berthRegistryBench: (h: string) => Promise<RegistryBenchResult> }).berthRegistryBench(host), registry.host)) as RegistryBenchResult;
      return { ...guest, ...engine, ...reg, page_ready_ms: pageReady, page_download_bytes: downloaded };
    } finally {
      await browser.close();
    }
  } finally {
    try {
      process.kill(-server.pid!);
    } catch {
      // already gone
    }
  }
}

// A local docker-registry (Debian's) for push_mb_s and pull_mb_s.
const registry: TestRegistry = await startRegistry();
let results: { node: Result; chromium: Result };
try {
  results = { node: await benchNode(), chromium: await benchChromium() };
} finally {
  await registry.stop();
}

if (json) {
  console.log(JSON.stringify(results));
} else {
  const rows = Object.keys(goals).map((metric) => {
    const g = goals[metric];
    const cell = (where: "node" | "chromium") => {
      const v = results[where][metric as keyof Result] as number | undefined;
      if (v === undefined) return "-";
      const applies = (!g.where || g.where === where) && g.value < 1e9;
      const ok = g.op === "<=" ? v <= g.value : v >= g.value;
      return `${v}${applies ? (ok ? " ✓" : " ✗") : ""}`;
    };
    const goal = g.value >= 1e9 ? "(no goal)" : `${g.op} ${g.value}${g.where ? ` (${g.where})` : ""}`;
    return [metric, cell("node"), cell("chromium"), goal];
  });
  const header = ["metric", "node", "chromium", "goal"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => "| " + r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  console.log(line(header));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const r of rows) console.log(line(r));
  console.log(`restore phases (ms): node ${JSON.stringify(results.node.restore_phases)}, chromium ${JSON.stringify(results.chromium.restore_phases)}`);
}
process.exit(0);
