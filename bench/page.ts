// node --import tsx bench/page.ts [--runs N] [--no-build] [--out DIR] [--compare DIR,DIR…] [--quiet]
// Only the page part of npm run bench, several times, with where the time went:
// a new visitor (fresh browser context) from navigation start until the docker
// terminal accepts input with the guest running. Builds into its own directory
// (default /tmp/berth-page-bench) so that it never touches dist/. --compare
// serves builds made before (vite build --outDir DIR) and alternates between
// them, so that a busy machine slows each alike.
import { chromium, type Page, type Request } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { measurePageReady } from "./page-ready.ts";
import { run, waitForHttp } from "./process.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const runs = Number(arg("--runs", "5"));
const quiet = process.argv.includes("--quiet");
const compare = process.argv.includes("--compare");
const dirs = compare ? arg("--compare", "").split(",") : [arg("--out", "/tmp/berth-page-bench")];
const basePort = Number(arg("--port", "4198"));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!compare && !process.argv.includes("--no-build")) {
  console.error("building…");
  await run("npx", ["vite", "build", "--logLevel", "error", "--outDir", dirs[0]!, "--emptyOutDir"]);
}
const servers: ChildProcess[] = dirs.map((dir, i) =>
  spawn("npx", ["vite", "preview", "--host", "127.0.0.1", "--port", String(basePort + i), "--strictPort", "--outDir", dir], { stdio: "ignore", detached: true }),
);
try {
  for (let i = 0; i < dirs.length; i++) await waitForHttp(`http://127.0.0.1:${basePort + i}/`);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const readies: number[][] = dirs.map(() => []);
    for (let n = 0; n < runs; n++) {
      for (let d = 0; d < dirs.length; d++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        const requests: Request[] = [];
        page.on("requestfinished", (r) => requests.push(r));
        const { ms, bytes } = await measurePageReady(page, `http://127.0.0.1:${basePort + d}/`);
        readies[d]!.push(ms);
        const label = dirs.length > 1 ? `${dirs[d]} ` : "";
        console.log(`${label}run ${n + 1}: page_ready_ms ${ms}, page_download_bytes ${bytes}`);
        if (!quiet) {
          console.log(`  marks: ${await pageMarks(page)}`);
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
          console.log(`  fetched: ${fetched.join(", ")}`);
        }
        await new Promise((r) => setTimeout(r, 300));
        await context.close();
      }
    }
    for (let d = 0; d < dirs.length; d++) console.log(`${dirs[d]}: page_ready_ms ${readies[d]!.join(" ")}; median ${median(readies[d]!)}`);
  } finally {
    await browser.close();
  }
} finally {
  for (const s of servers) {
    try {
      process.kill(-s.pid!);
    } catch {
      // already gone
    }
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
