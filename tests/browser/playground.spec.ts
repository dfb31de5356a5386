import { expect, test, type Page } from "@playwright/test";
import { editorText, loadExample, ready, typeLine, watchErrors } from "./helpers.ts";

// The playground clicked through in the real page: the docker terminal, the
// Build panel and its cache, the layer explorer, the container lifecycle and
// volumes. Every test starts with a fresh browser profile (empty storage).

test.use({ viewport: { width: 1280, height: 800 } });

/**
 * Records the accessible names of every <progress> the page shows, however
 * briefly (a restore can be over before a poll would see its bar).
 */
async function recordProgressBars(page: Page) {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __progressSeen: string[] }).__progressSeen = seen;
    new MutationObserver(() => {
      for (const p of document.querySelectorAll("progress")) {
        const name = p.getAttribute("aria-label") ?? "";
        if (!seen.includes(name)) seen.push(name);
      }
    }).observe(document, { childList: true, subtree: true });
  });
  return () => page.evaluate(() => (window as unknown as { __progressSeen: string[] }).__progressSeen);
}

test("the docker terminal runs docker commands, completes, keeps history and hints at the rest", async ({ page }) => {
  const errors = watchErrors(page);
  const terminal = await ready(page);
  await typeLine(page, terminal, "docker run --rm busybox echo hello");
  await expect(terminal).toContainText(/^hello$/m, { useInnerText: true });
  await typeLine(page, terminal, "docker images");
  await expect(terminal).toContainText(/busybox\s+latest/);

  // Tab completion: "docker ima" + Tab → "docker images".
  await terminal.click();
  await page.keyboard.type("docker vers");
  await page.keyboard.press("Tab");
  await expect(terminal).toContainText("docker version");
  await page.keyboard.press("Control+u");

  // History: Up brings back the last command.
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("Enter");
  await expect(terminal.locator(".xterm-rows")).toContainText(/hello[\s\S]*hello/);

  await typeLine(page, terminal, "ls");
  await expect(terminal).toContainText("this terminal runs docker commands");
  await typeLine(page, terminal, "help");
  await expect(terminal).toContainText("docker build -t app .");
  expect(errors).toEqual([]);
});

test("output that does not end its line keeps it; the prompt starts on the next", async ({ page }) => {
  const terminal = await ready(page);
  await typeLine(page, terminal, "docker run --rm busybox printf no-newline-here");
  await expect(terminal).toContainText(/^no-newline-here\n\$\s/m, { useInnerText: true });
});

test("docker run -it attaches the terminal to the container's tty", async ({ page }) => {
  const terminal = await ready(page);
  await typeLine(page, terminal, "docker run -it --rm busybox sh");
  await expect(terminal).toContainText("/ # ");
  await page.keyboard.type("echo in-$((6*7))\n");
  await expect(terminal).toContainText("in-42");
  await page.keyboard.type("exit\n");
  // Back at the docker prompt once the container is gone.
  await expect(terminal).toContainText(/# exit\s*\$/);
  await typeLine(page, terminal, "docker ps -a");
  await expect(terminal).toContainText("CONTAINER ID");
});

test("the Build button builds the layered app; the cache and its misses show per step; layers and their files", async ({ page }) => {
  test.setTimeout(300_000);
  const errors = watchErrors(page);
  const progressSeen = await recordProgressBars(page);
  await ready(page);
  // A new user first sees the guest's start progress, then a ready terminal.
  expect(await progressSeen()).toContain("Guest start progress");
  await expect(page.getByRole("progressbar", { name: "Guest start progress" })).toHaveCount(0);
  await loadExample(page, /Layered app/);
  await expect(page.getByTestId("tree-file").filter({ hasText: "serve.sh" })).toBeVisible();

  const panel = page.getByTestId("panel-build");
  const steps = panel.getByTestId("build-step");
  await page.getByTestId("build-button").click();
  await expect(panel.getByTestId("build-run")).toHaveAttribute("data-state", "done", { timeout: 120_000 });
  expect(await progressSeen()).toContain("Build progress");
  // FROM, COPY site/, COPY serve.sh, RUN chmod (WORKDIR, ENV, EXPOSE and CMD are metadata).
  await expect(steps).toHaveCount(4);
  await expect(steps.first()).toContainText("FROM docker.io/library/busybox:latest");
  await expect(panel.getByTestId("build-run")).toContainText("Built app:latest");

  // Again: every step after FROM comes from the cache.
  await page.getByTestId("build-button").click();
  await expect(panel.getByTestId("build-run")).toHaveAttribute("data-state", "done", { timeout: 120_000 });
  await expect(steps.filter({ hasText: "CACHED" })).toHaveCount(3);

  // Edit a copied file: its COPY misses the cache and says why.
  await page.getByTestId("tree-file").filter({ hasText: "serve.sh" }).click();
  await expect(page.getByTestId("editor-path")).toHaveText("serve.sh");
  await editorText(page).click();
  await page.keyboard.press("Control+End");
  await page.keyboard.insertText("# edited\n");
  await expect(page.getByTestId("save-status")).toHaveText("All changes saved");
  await page.keyboard.press("Control+b");
  await expect(panel.getByTestId("build-run")).toHaveAttribute("data-state", "done", { timeout: 120_000 });
  const copy = steps.filter({ hasText: "COPY serve.sh" });
  await expect(copy).toHaveAttribute("data-status", "done");
  await expect(copy.getByTestId("cache-miss")).toContainText("files changed: serve.sh (contents)");
  await expect(steps.filter({ hasText: "COPY site/" })).toHaveAttribute("data-status", "cached");

  // The image's layer stack, and the files of its COPY site/ layer.
  await page.getByRole("tab", { name: "Images" }).click();
  const images = page.getByTestId("panel-images");
  await images.getByTestId("image-row").filter({ hasText: "app:latest" }).getByRole("button", { name: /^app:latest/ }).click();
  const stack = images.getByTestId("layer-stack");
  await expect(stack.getByTestId("layer")).toHaveCount(4);
  await expect(stack.getByTestId("layer-empty").first()).toBeVisible();
  await expect(stack.getByTestId("layer").first()).toContainText(/shared by [2-9]/);
  await stack.getByTestId("layer").filter({ hasText: "COPY site/" }).click();
  const files = images.getByTestId("layer-files");
  await expect(files.getByTestId("fs-tree")).toContainText("index.html");
  await expect(files.locator('[data-kind="A"]').filter({ hasText: "index.html" }).getByTestId("fs-mark").first()).toHaveText("A");
  // The merged filesystem up to that layer has busybox's files too.
  await files.getByLabel("Whole filesystem up to here").check();
  await expect(files.getByTestId("fs-tree")).toContainText("bin");
  expect(errors).toEqual([]);
});

test("a container started from the Containers panel moves along the lifecycle diagram; volumes are created", async ({ page }) => {
  const errors = watchErrors(page);
  await ready(page);
  await page.getByRole("tab", { name: "Containers" }).click();
  const panel = page.getByTestId("panel-containers");
  await panel.getByLabel("Container name (optional)").fill("sleeper");
  await panel.getByRole("button", { name: "Run", exact: true }).click();
  const row = panel.getByTestId("container-row").filter({ hasText: "sleeper" });
  await expect(row).toHaveAttribute("data-state", "running");
  const diagram = panel.getByTestId("lifecycle");
  await expect(diagram).toHaveAttribute("data-state", "running");
  const button = (name: string) => panel.getByRole("group", { name: "Lifecycle actions" }).getByRole("button", { name, exact: true });
  /** Only the transitions docker allows from this state are enabled. */
  const legal = async (enabled: string[]) => {
    for (const name of ["Start", "Stop", "Pause", "Unpause", "Restart", "Kill", "Remove"]) {
      if (enabled.includes(name)) await expect(button(name)).toBeEnabled();
      else await expect(button(name)).toBeDisabled();
    }
  };
  await legal(["Stop", "Pause", "Restart", "Kill", "Remove"]);

  await button("Pause").click();
  await expect(diagram).toHaveAttribute("data-state", "paused");
  await expect(row).toHaveAttribute("data-state", "paused");
  await legal(["Stop", "Unpause", "Kill", "Remove"]);
  await button("Unpause").click();
  await expect(diagram).toHaveAttribute("data-state", "running");

  // Exec opens a terminal tab attached to a shell in the container.
  await panel.getByRole("button", { name: "Exec shell" }).click();
  await expect(page.getByRole("tab", { name: "exec sleeper" })).toHaveAttribute("aria-selected", "true");
  const exec = page.getByTestId("docker-terminal-2");
  await expect(exec).toContainText("/ # ");
  await page.keyboard.type("echo from-$((40+2))\n");
  await expect(exec).toContainText("from-42");
  await page.keyboard.type("exit\n");
  await expect(exec).toContainText(/# exit\s*\$/);
  await button("Stop").click();
  await expect(diagram).toHaveAttribute("data-state", "exited", { timeout: 30_000 });
  await legal(["Start", "Restart", "Remove"]);
  await button("Start").click();
  await expect(diagram).toHaveAttribute("data-state", "running");
  await expect(row).toHaveAttribute("data-state", "running");
  await button("Stop").click();
  await expect(diagram).toHaveAttribute("data-state", "exited", { timeout: 30_000 });
  await button("Remove").click();
  await expect(diagram).toHaveAttribute("data-state", "removed");
  await expect(panel.getByTestId("container-row")).toHaveCount(0);

  await page.getByRole("tab", { name: "Volumes" }).click();
  const volumes = page.getByTestId("panel-volumes");
  await volumes.getByLabel("New volume name").fill("notes-data");
  await volumes.getByRole("button", { name: "Create volume" }).click();
  await expect(volumes.getByTestId("volume-row").filter({ hasText: "notes-data" })).toBeVisible();
  await expect(volumes.getByTestId("volume-detail")).toContainText("no containers");
  await volumes.getByRole("button", { name: "Browse files" }).click();
  await expect(volumes.getByTestId("volume-detail")).toContainText("No files.");
  expect(errors).toEqual([]);
});

test("the status line shows the guest, its memory and storage; keyboard shortcuts switch the panels", async ({ page }) => {
  await ready(page);
  const status = page.getByRole("contentinfo", { name: "Status" });
  await expect(status.getByTestId("status-guest")).toHaveAttribute("data-state", "ready");
  await expect(status).toContainText(/Memory: .* of .* used/);
  await expect(status.getByTestId("status-storage")).toContainText(/Storage: \d/);
  await page.getByRole("button", { name: "Share" }).focus();
  await page.keyboard.press("Alt+3");
  await expect(page.getByRole("tab", { name: "Containers" })).toHaveAttribute("aria-selected", "true");
  await page.keyboard.press("Alt+2");
  await expect(page.getByRole("tab", { name: "Images" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("panel-images").getByTestId("image-row").filter({ hasText: "busybox:latest" })).toBeVisible();
});

test("a failed build points at its Dockerfile line, and the editor jumps there", async ({ page }) => {
  await ready(page);
  await page.getByRole("button", { name: "New file", exact: true }).click();
  const input = page.getByRole("textbox", { name: "New file name" });
  await input.fill("Dockerfile");
  await input.press("Enter");
  await editorText(page).click();
  await page.keyboard.insertText("FROM busybox\nRUN echo before\nRUN exit 3\n");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("save-status")).toHaveText("All changes saved");
  await page.getByTestId("build-button").click();
  const panel = page.getByTestId("panel-build");
  await expect(panel.getByTestId("build-run")).toHaveAttribute("data-state", "failed", { timeout: 120_000 });
  await expect(panel.getByTestId("build-step").filter({ hasText: "RUN exit 3" })).toHaveAttribute("data-status", "failed");
  const where = panel.getByTestId("build-error-location");
  await expect(where).toHaveText("Dockerfile:3");
  await page.keyboard.press("Control+Home");
  await where.click();
  await expect(page.getByTestId("editor").locator(".active-line-number")).toHaveText("3");
});

test("Reset everything asks first, then deletes the workspace and images and reloads", async ({ page }) => {
  const terminal = await ready(page);
  await loadExample(page, /Multi-stage/);
  await expect(page.getByTestId("tree-file").filter({ hasText: "build.sh" })).toBeVisible();
  await typeLine(page, terminal, "docker tag busybox mine:1");
  await typeLine(page, terminal, "docker images");
  await expect(terminal).toContainText(/mine\s+1/);

  await page.getByRole("tab", { name: "VM console" }).click();
  await expect(page.getByTestId("serial-console")).toBeVisible();

  await page.getByRole("button", { name: "Reset everything" }).click();
  const dialog = page.getByTestId("confirm-dialog");
  await expect(dialog).toContainText("This deletes everything Berth keeps in this browser");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByTestId("tree-file").filter({ hasText: "build.sh" })).toBeVisible();

  await page.getByRole("button", { name: "Reset everything" }).click();
  await page.getByTestId("confirm-dialog").getByRole("button", { name: "Delete everything and reload" }).click();
  await expect(page.getByTestId("file-tree")).toContainText("No files yet");
  const fresh = page.getByTestId("docker-terminal");
  await expect(page.getByTestId("guest-status")).toHaveText(/Guest running/);
  await typeLine(page, fresh, "docker images");
  await expect(fresh).toContainText(/busybox\s+latest/);
  await expect(fresh).not.toContainText("mine");
});

test("a RUN that deletes a file shows it as deleted in its layer; an image runs from its row", async ({ page }) => {
  const terminal = await ready(page);
  await page.getByRole("button", { name: "New file", exact: true }).click();
  const input = page.getByRole("textbox", { name: "New file name" });
  await input.fill("Dockerfile");
  await input.press("Enter");
  await editorText(page).click();
  await page.keyboard.insertText('FROM busybox\nRUN rm /bin/vi\nCMD ["echo", "ran-from-row"]\n');
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("save-status")).toHaveText("All changes saved");
  await page.getByTestId("build-button").click();
  await expect(page.getByTestId("panel-build").getByTestId("build-run")).toHaveAttribute("data-state", "done", { timeout: 120_000 });

  await page.getByRole("tab", { name: "Images" }).click();
  const images = page.getByTestId("panel-images");
  const row = images.getByTestId("image-row").filter({ hasText: "app:latest" });
  await row.getByRole("button", { name: /^app:latest/ }).click();
  await images.getByTestId("layer-stack").getByTestId("layer").filter({ hasText: "RUN" }).click();
  const files = images.getByTestId("layer-files");
  await expect(files.locator('[data-kind="D"]').filter({ hasText: "vi" }).getByTestId("fs-mark").first()).toHaveText("D");
  await page.screenshot({ path: test.info().outputPath("layer-explorer.png") });

  await row.getByRole("button", { name: "Run app:latest in the terminal" }).click();
  await expect(terminal).toContainText(/^ran-from-row$/m, { useInnerText: true, timeout: 60_000 });
});

test("a share link opened in a fresh browser context runs only after Run and builds the same image digest", async ({ page, browser, baseURL }) => {
  test.setTimeout(300_000);
  const errors = watchErrors(page);
  await ready(page);
  await loadExample(page, /Multi-stage/);
  await expect(page.getByTestId("tree-file").filter({ hasText: "build.sh" })).toBeVisible();
  await expect(page.getByTestId("build-reproducible")).toBeChecked();
  const panel = page.getByTestId("panel-build");
  await page.getByTestId("build-button").click();
  await expect(panel.getByTestId("build-run")).toHaveAttribute("data-state", "done", { timeout: 120_000 });
  const built = await panel.getByTestId("build-image-id").getAttribute("data-image-id");
  expect(built).toMatch(/^sha256:[a-f0-9]{64}$/);

  await page.getByRole("button", { name: "Share" }).click();
  const share = page.getByTestId("share-dialog");
  await expect(share).toContainText("SOURCE_DATE_EPOCH");
  await share.getByRole("textbox", { name: /Commands to run/ }).fill("docker build -t shared:1 .");
  await share.getByRole("button", { name: "Create link" }).click();
  const link = await share.getByTestId("share-link").inputValue();
  await share.getByRole("button", { name: "Close" }).click();

  // Another browser profile: empty storage, its own guest, some seconds later.
  const fresh = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const other = await fresh.newPage();
  const otherErrors = watchErrors(other);
  await other.goto(link);
  await expect(other.getByTestId("shared-banner")).toContainText("1 command to run");
  await expect(other.getByTestId("guest-status")).toHaveText(/Guest running/);
  const terminal = other.getByTestId("docker-terminal");
  await expect(terminal).toContainText("$ ");
  await other.waitForTimeout(1000);
  const otherPanel = other.getByTestId("panel-build");
  await expect(otherPanel.getByTestId("build-run")).toHaveCount(0);

  await other.getByRole("button", { name: "Run" }).click();
  await expect(terminal).toContainText("naming to docker.io/library/shared:1", { timeout: 120_000 });
  await expect(otherPanel.getByTestId("build-run")).toHaveAttribute("data-state", "done");
  expect(await otherPanel.getByTestId("build-image-id").getAttribute("data-image-id")).toBe(built);
  await expect(other.getByRole("navigation", { name: "Workspace" }).getByTestId("tree-file")).toHaveCount(4);

  // Without SOURCE_DATE_EPOCH the times are now's, and so is the digest.
  await other.getByTestId("build-reproducible").uncheck();
  await other.getByTestId("build-button").click();
  // The panel shows the new build (the terminal's is now an earlier one) once it has begun.
  await expect(otherPanel.getByText("Earlier builds (1)")).toBeVisible();
  await expect(otherPanel.getByTestId("build-run")).toHaveAttribute("data-state", "done", { timeout: 120_000 });
  const plain = await otherPanel.getByTestId("build-image-id").getAttribute("data-image-id");
  expect(plain).toMatch(/^sha256:[a-f0-9]{64}$/);
  expect(plain).not.toBe(built);
  await fresh.close();
  expect([...errors, ...otherErrors]).toEqual([]);
});

test("reloading the page keeps the workspace, images and volumes", async ({ page }) => {
  test.setTimeout(300_000);
  const errors = watchErrors(page);
  let terminal = await ready(page);
  await loadExample(page, /Layered app/);
  await expect(page.getByTestId("tree-file").filter({ hasText: "serve.sh" })).toBeVisible();
  const build = page.getByTestId("panel-build");
  await page.getByTestId("build-button").click();
  await expect(build.getByTestId("build-run")).toHaveAttribute("data-state", "done", { timeout: 120_000 });
  await typeLine(page, terminal, `docker run --rm -v kept:/data busybox sh -c "echo still-$((6*7)) > /data/f"`);
  await typeLine(page, terminal, "docker volume ls");
  await expect(terminal).toContainText(/local\s+kept/);

  await page.reload();
  terminal = await ready(page);
  await expect(page.getByRole("navigation", { name: "Workspace" }).getByTestId("tree-file").filter({ hasText: "serve.sh" })).toBeVisible();
  await page.getByRole("tab", { name: "Images" }).click();
  await expect(page.getByTestId("panel-images").getByTestId("image-row").filter({ hasText: "app:latest" })).toBeVisible();
  await page.getByRole("tab", { name: "Volumes" }).click();
  await expect(page.getByTestId("panel-volumes").getByTestId("volume-row").filter({ hasText: "kept" })).toBeVisible();
  await typeLine(page, terminal, "docker run --rm -v kept:/data app:latest cat /data/f");
  await expect(terminal).toContainText(/^still-42$/m, { useInnerText: true });
  expect(errors).toEqual([]);
});

test("Ctrl-C stops a following docker logs; the Containers panel follows logs and shows inspect", async ({ page }) => {
  const errors = watchErrors(page);
  const terminal = await ready(page);
  await typeLine(page, terminal, `docker run -d --name ticker busybox sh -c 'i=0; while true; do i=$((i+1)); echo tick-$i; sleep 1; done'`);
  await expect(terminal).toContainText(/^[0-9a-f]{64}$/m, { useInnerText: true });
  await typeLine(page, terminal, "docker logs -f ticker");
  await expect(terminal).toContainText("tick-2");
  await page.keyboard.press("Control+c");
  // "^C" stays on its row and the prompt is back below it: the next command runs.
  await expect(terminal).toContainText(/^\^C$/m, { useInnerText: true });
  await typeLine(page, terminal, "docker inspect --format 'state={{.State.Status}}' ticker");
  await expect(terminal).toContainText("state=running");

  await page.getByRole("tab", { name: "Containers" }).click();
  const panel = page.getByTestId("panel-containers");
  await panel.getByTestId("container-row").filter({ hasText: "ticker" }).getByRole("button").first().click();
  const logs = panel.getByTestId("container-logs");
  await expect(logs).toContainText("tick-1");
  // Following: lines written after the view opened arrive by themselves.
  const now = Number((await logs.innerText()).match(/tick-(\d+)\s*$/)![1]);
  await expect(logs).toContainText(`tick-${now + 2}`);
  await panel.getByRole("tab", { name: "Inspect" }).click();
  await expect(panel.getByTestId("container-inspect")).toContainText('"Name": "/ticker"');
  await typeLine(page, terminal, "docker rm -f ticker");
  await expect(panel.getByTestId("container-row")).toHaveCount(0);
  expect(errors).toEqual([]);
});
