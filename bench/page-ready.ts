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
  // Ready: the status says the guest runs and the docker terminal shows its
  // prompt (its line editor takes keys from then on). The page notes the time
  // on the DOM change that makes it so, before that frame is painted.
  // (A string, not a function: tsx would add helpers the page does not have.)
  await page.addInitScript(`{
    const isReady = () =>
      /Guest running/.test(document.querySelector("[data-testid=guest-status]")?.textContent ?? "") &&
      [...document.querySelectorAll("[data-testid=docker-terminal] .xterm-rows > div")].some((r) => r.textContent?.startsWith("$"));
    const observer = new MutationObserver(() => {
      if (!isReady()) return;
      window.berthReadyAt = performance.now();
      observer.disconnect();
    });
    observer.observe(document, { childList: true, subtree: true, characterData: true });
  }`);
  await page.goto(url);
  const ready = await page.waitForFunction(() => (window as unknown as { berthReadyAt?: number }).berthReadyAt, null, { timeout: 60_000 });
  const ms = (await ready.jsonValue()) as number;
  await new Promise((r) => setTimeout(r, 500));
  await Promise.all(sizes);
  return { ms: Math.round(ms), bytes: downloaded };
}
