// page_ready_ms and page_download_bytes (npm run bench, bench/page.ts): a new
// visitor's page from navigation start until the docker terminal accepts
// input with the guest running, and what the page fetched (until half a
// second after that, so late parts such as the editor count too).
import type { Page } from "@playwright/test";

export async function measurePageReady(page: Page, url: string): Promise<{ ms: number; bytes: number }> {
  let downloaded = 0;
  const sizes: Promise<void>[] = [];
  page.on("requestfinished", (r) => {
    sizes.push(r.sizes().then((sz) => void (downloaded += sz.responseBodySize + sz.responseHeadersSize)));
  });
  await page.goto(url);
  // Ready: the status says the guest runs and the docker terminal shows its
  // prompt (its line editor then takes keys). The time is taken in the page
  // when that first holds.
  const ready = await page.waitForFunction(
    () => {
      const running = /Guest running/.test(document.querySelector("[data-testid=guest-status]")?.textContent ?? "");
      const rows = document.querySelectorAll("[data-testid=docker-terminal] .xterm-rows > div");
      const prompt = [...rows].some((r) => r.textContent?.startsWith("$"));
      return running && prompt ? performance.now() : 0;
    },
    null,
    { timeout: 60_000, polling: "raf" },
  );
  const ms = (await ready.jsonValue()) as number;
  await new Promise((r) => setTimeout(r, 500));
  await Promise.all(sizes);
  return { ms: Math.round(ms), bytes: downloaded };
}
