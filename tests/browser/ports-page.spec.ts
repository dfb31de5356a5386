import { expect, test } from "@playwright/test";
import { ready, typeLine } from "./helpers.ts";

// A published port in the real page: busybox httpd in a container, seen in
// the Containers panel's preview and in a tab of its own; and a volume that
// outlives a page reload.

test.use({ viewport: { width: 1280, height: 800 } });

test("a container with -p 8080:80 serves its page in the preview and in its own tab", async ({ page, context }) => {
  const terminal = await ready(page);
  await typeLine(page, terminal, `docker run -d -p 8080:80 --name web busybox sh -c "mkdir /www && echo hello-preview > /www/index.html && httpd -f -p 80 -h /www"`);
  await expect(terminal).toContainText(/^[0-9a-f]{64}$/m, { useInnerText: true });
  await page.getByRole("tab", { name: "Containers" }).click();
  const panel = page.getByTestId("panel-containers");
  await panel.getByTestId("container-row").filter({ hasText: "web" }).click();
  await expect(panel.getByTestId("port-link-8080")).toBeVisible();
  await panel.getByRole("tab", { name: "Preview" }).click();
  const frame = page.frameLocator("[data-testid=port-preview]");
  await expect(frame.locator("body")).toContainText("hello-preview", { timeout: 30_000 });
  await page.screenshot({ path: test.info().outputPath("port-preview.png") });

  const tab = await context.newPage();
  await tab.goto(new URL("port/8080/", page.url()).href);
  await expect(tab.locator("body")).toContainText("hello-preview");
});

test("a volume's data outlives the container and a page reload", async ({ page }) => {
  let terminal = await ready(page);
  await typeLine(page, terminal, `docker run --rm -v keep:/data busybox sh -c "echo kept-across-reload > /data/f"`);
  await typeLine(page, terminal, "docker volume ls");
  await expect(terminal).toContainText(/local\s+keep/);
  await page.reload();
  terminal = await ready(page);
  await typeLine(page, terminal, "docker run --rm -v keep:/data busybox cat /data/f");
  await expect(terminal).toContainText(/^kept-across-reload$/m, { useInnerText: true });
});
