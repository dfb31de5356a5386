// node --import tsx bench/page.ts [--runs N] [--no-build] [--out DIR]
// Only the page part of npm run bench, several times, with where the time went:
// a new visitor (fresh browser context) from navigation start until the docker
// terminal accepts input with the guest running. Builds into its own directory
// (default /tmp/berth-page-bench) so that it never touches dist/.
import { chromium, type Page, type Request } from "@playwright/test";
import { spawn } from "node:child_process";
import { measurePageReady } from "./page-ready.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const runs = Number(arg("--runs", "5"));
const outDir = arg("--out", "/tmp/berth-page-bench");
const port = Number(arg("--port", "4198"));

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}`))));
  });
}

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

if (!process.argv.includes("--no-build")) {
  console.error("building…");
  await run("npx", ["vite", "build", "--logLevel", "error", "--outDir", outDir, "--emptyOutDir"]);
}
const server = spawn("npx", ["vite", "preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort", "--outDir", outDir], {
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
    const readies: number[] = [];
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const requests: Request[] = [];
      page.on("requestfinished", (r) => requests.push(r));
      context.on("requestfinished", () => {});
      const { ms, bytes } = await measurePageReady(page, `http://127.0.0.1:${port}/`);
      readies.push(ms);
      const marks = await pageMarks(page);
      const origin = await page.evaluate(() => performance.timeOrigin);
      const fetched = requests
        .map((r) => {
          const t = r.timing();
          const name = (r.url().startsWith("blob:") ? `${r.resourceType()} ${r.url()}` : new URL(r.url()).pathname.replace(/^.*\//, "") || "/").slice(0, 40);
          return { name, start: t.startTime - origin, end: t.startTime - origin + t.responseEnd };
        })
        .filter((r) => r.end <= ms + 50)
        .sort((a, b) => a.start - b.start)
        .map((r) => `${r.name} ${Math.round(r.start)}→${Math.round(r.end)}`);
      console.log(`run ${i + 1}: page_ready_ms ${ms}, page_download_bytes ${bytes}`);
      console.log(`  marks: ${marks}`);
      console.log(`  fetched: ${fetched.join(", ")}`);
      await new Promise((r) => setTimeout(r, 300));
      await context.close();
    }
    const sorted = [...readies].sort((a, b) => a - b);
    console.log(`page_ready_ms: ${readies.join(" ")}; median ${sorted[Math.floor(sorted.length / 2)]}`);
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

async function pageMarks(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const marks = performance.getEntriesByType("mark").map((m) => ({ name: m.name, t: m.startTime }));
    type Timeline = { timeline: { phase: string; at: number }[]; phases: Record<string, number> };
    const hook = (window as unknown as { berthTimeline?: () => Promise<Timeline> }).berthTimeline;
    const w = hook ? await hook() : { timeline: [], phases: {} };
    for (const e of w.timeline) marks.push({ name: `w:${e.phase}`, t: e.at - performance.timeOrigin });
    return (
      marks
        .sort((a, b) => a.t - b.t)
        .map((m) => `${m.name} ${Math.round(m.t)}`)
        .join(", ") + `; guest phases ${JSON.stringify(w.phases)}`
    );
  });
}
