import { expect, test, type Page } from "@playwright/test";
import { editorText, loadExample, watchErrors } from "./helpers.ts";
import { encodeShare } from "../../src/ui/share.ts";

// The workbench: workspace tree, Monaco, diagnostics, examples and share
// links, clicked through in the real page (a fresh browser profile per test,
// so every test starts with an empty workspace).

async function newFile(page: Page, name: string) {
  await page.getByRole("button", { name: "New file", exact: true }).click();
  const input = page.getByRole("textbox", { name: "New file name" });
  await input.fill(name);
  await input.press("Enter");
  await expect(page.getByTestId("editor-path")).toHaveText(name);
}

/** Types into Monaco; insertText avoids Enter accepting a suggestion. */
async function typeInEditor(page: Page, text: string) {
  await editorText(page).click();
  await page.keyboard.insertText(text);
  await page.keyboard.press("Escape");
}

test("a new file edited in Monaco is saved and survives a reload", async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await expect(page.getByTestId("file-tree")).toContainText("No files yet");
  await newFile(page, "notes/todo.txt");
  await expect(page.getByTestId("file-tree").getByRole("button", { name: "notes", exact: true })).toBeVisible();
  await typeInEditor(page, "remember-the-milk\nsecond-line");
  await expect(page.getByTestId("save-status")).toHaveText("All changes saved");

  await page.reload();
  await expect(page.getByTestId("tree-file").filter({ hasText: "todo.txt" })).toBeVisible();
  await expect(page.getByTestId("editor-path")).toHaveText("notes/todo.txt");
  await expect(editorText(page)).toContainText("remember-the-milk");
  await expect(editorText(page)).toContainText("second-line");
  expect(errors).toEqual([]);
});

test("files can be renamed, uploaded, dropped, downloaded and deleted", async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await newFile(page, "a.txt");
  await typeInEditor(page, "alpha");
  await expect(page.getByTestId("save-status")).toHaveText("All changes saved");

  // Rename.
  await page.getByRole("button", { name: "Rename a.txt" }).click();
  const rename = page.getByRole("textbox", { name: "New name for a.txt" });
  await rename.fill("b.txt");
  await rename.press("Enter");
  await expect(page.getByTestId("editor-path")).toHaveText("b.txt");
  await expect(page.getByTestId("tree-file")).toHaveText(["b.txt"]);

  // Upload with the button.
  await page.getByTestId("upload-input").setInputFiles({ name: "up.sh", mimeType: "text/plain", buffer: Buffer.from("echo uploaded\n") });
  await expect(page.getByTestId("tree-file").filter({ hasText: "up.sh" })).toBeVisible();

  // Drop a file onto the tree.
  await page.getByTestId("file-tree").evaluate((tree) => {
    const dt = new DataTransfer();
    dt.items.add(new File(["dropped contents"], "dropped.txt", { type: "text/plain" }));
    tree.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    tree.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await expect(page.getByTestId("tree-file").filter({ hasText: "dropped.txt" })).toBeVisible();

  // Download.
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download b.txt" }).first().click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("b.txt");
  const chunks: Buffer[] = [];
  for await (const c of (await file.createReadStream())!) chunks.push(c as Buffer);
  expect(Buffer.concat(chunks).toString()).toBe("alpha");

  // Delete, after a confirmation.
  await page.getByRole("button", { name: "Delete b.txt" }).click();
  await page.getByTestId("confirm-dialog").getByRole("button", { name: "Delete" }).click();
  await expect(page.getByTestId("tree-file")).toHaveText(["dropped.txt", "up.sh"]);
  expect(errors).toEqual([]);
});

test("a starter example asks before replacing the workspace, then loads", async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await newFile(page, "mine.txt");

  await loadExample(page, /Cache order/);
  const dialog = page.getByTestId("confirm-dialog");
  await expect(dialog).toContainText("1 file");
  await dialog.getByRole("button", { name: "Keep mine" }).click();
  await expect(page.getByTestId("tree-file")).toHaveText(["mine.txt"]);

  await loadExample(page, /Cache order/);
  await page.getByTestId("confirm-dialog").getByRole("button", { name: "Replace my workspace" }).click();
  await expect(page.getByTestId("tree-file")).toHaveText(["app.sh", "deps.txt", "Dockerfile.fast", "Dockerfile.slow", "README.md"]);
  await expect(page.getByTestId("editor-path")).toHaveText("Dockerfile.slow");
  await expect(editorText(page)).toContainText("FROM busybox");
  await expect(page.getByTestId("problems")).toHaveText(/No problems/);
  // The note that it loaded goes away by itself.
  await expect(page.getByTestId("notice")).toHaveText(/Loaded the “Cache order” example/);
  await expect(page.getByTestId("notice")).toHaveCount(0, { timeout: 15_000 });
  expect(errors).toEqual([]);
});

test("a Dockerfile with an unknown instruction gets a marker and a problem as you type", async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await newFile(page, "Dockerfile");
  await typeInEditor(page, "FROM busybox\nFORM busybox\n");
  const problems = page.getByTestId("problems");
  await expect(problems).toContainText("1 error");
  await expect(problems).toContainText("line 2: unknown instruction: FORM");
  await expect(page.getByTestId("editor").locator(".squiggly-error")).toHaveCount(1);

  // Fixing it clears the marker.
  await page.getByRole("button", { name: /line 2: unknown instruction/ }).click();
  await page.keyboard.press("Home");
  await page.keyboard.press("Shift+End");
  await page.keyboard.insertText("RUN echo ok");
  await expect(problems).toHaveText(/No problems/);
  await expect(page.getByTestId("editor").locator(".squiggly-error")).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("the help popover lists the shortcuts and Ctrl+B opens the Build tab", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("tab", { name: "Volumes" }).click();
  await expect(page.getByTestId("panel-volumes")).toBeVisible();
  await page.getByRole("button", { name: "Keyboard shortcuts" }).click();
  await expect(page.getByTestId("help")).toContainText("Build the workspace");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("help")).toHaveCount(0);
  await page.keyboard.press("Control+b");
  await expect(page.getByRole("tab", { name: "Build" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("panel-build")).toContainText("The workspace is empty: it has no Dockerfile to build");
  const before = await page.locator("html").getAttribute("data-theme");
  await page.getByTestId("theme-toggle").click();
  await page.getByTestId("theme-toggle").click();
  expect(await page.locator("html").getAttribute("data-theme")).not.toBe(before);
});

test("a share link opens its files in a new page; nothing runs before Run, which asks before replacing", async ({ page, context }) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await loadExample(page, /Multi-stage/);
  await expect(page.getByTestId("tree-file").filter({ hasText: "build.sh" })).toBeVisible();

  await page.getByRole("button", { name: "Share" }).click();
  const share = page.getByTestId("share-dialog");
  await share.getByRole("textbox", { name: /Commands to run/ }).fill("docker run --rm busybox sh -c 'echo SHARED_$((40+2))'");
  await share.getByRole("button", { name: "Create link" }).click();
  await expect(share.getByTestId("share-result")).toContainText("of the 64 KB a link can hold");
  const link = await share.getByTestId("share-link").inputValue();
  expect(link).toMatch(/#share=v1\.[A-Za-z0-9_-]+$/);
  await share.getByRole("button", { name: "Close" }).click();

  // My own workspace changes after sharing: the link must not overwrite it silently.
  await newFile(page, "mine.txt");
  await page.close();

  const other = await context.newPage();
  const otherErrors = watchErrors(other);
  await other.goto(link);
  const banner = other.getByTestId("shared-banner");
  await expect(banner).toContainText("4 files, 1 command to run");
  await expect(banner).toContainText("echo SHARED_$((40+2))");
  await expect(other.getByRole("navigation", { name: "Shared files" }).getByTestId("tree-file")).toHaveText([
    "build.sh",
    "Dockerfile",
    "names.txt",
    "README.md",
  ]);
  await expect(other.getByTestId("editor-path")).toHaveText("Dockerfile");
  await expect(editorText(other)).toContainText("COPY --from=build");
  const run = other.getByRole("button", { name: "Run" });
  await expect(run).toBeVisible();

  // The guest is up and nothing has run.
  await expect(other.getByTestId("guest-status")).toHaveText(/Guest running/);
  const terminal = other.getByTestId("docker-terminal");
  await expect(terminal).toContainText("$ ");
  await other.waitForTimeout(1000);
  await expect(terminal).not.toContainText("SHARED_42");

  await run.click();
  const dialog = other.getByTestId("confirm-dialog");
  await expect(dialog).toContainText("Opening the shared files replaces your workspace");
  await expect(terminal).not.toContainText("SHARED_42");
  await dialog.getByRole("button", { name: "Replace my workspace" }).click();
  await expect(terminal).toContainText("SHARED_42");
  await expect(banner).toHaveCount(0);
  await expect(other.getByRole("navigation", { name: "Workspace" }).getByTestId("tree-file")).toHaveText([
    "build.sh",
    "Dockerfile",
    "names.txt",
    "README.md",
  ]);
  expect(new URL(other.url()).hash).toBe("");
  expect([...errors, ...otherErrors]).toEqual([]);
});

test("Keep mine leaves the workspace alone", async ({ page, context }) => {
  await page.goto("/");
  await newFile(page, "mine.txt");
  const { fragment } = await encodeShare({ files: [{ path: "theirs.txt", data: new TextEncoder().encode("x"), mode: 0o644 }], commands: [] });
  await page.close();
  const other = await context.newPage();
  await other.goto("/#" + fragment);
  await expect(other.getByTestId("shared-banner")).toContainText("1 file, no commands");
  await other.getByRole("button", { name: "Keep mine" }).click();
  await expect(other.getByTestId("shared-banner")).toHaveCount(0);
  await expect(other.getByTestId("tree-file")).toHaveText(["mine.txt"]);
  expect(new URL(other.url()).hash).toBe("");
});

test("a hostile file name in a shared link is shown as text, never as HTML", async ({ page }) => {
  const dialogs: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const errors = watchErrors(page);
  const name = "<img src=x onerror=alert(1)>";
  const { fragment } = await encodeShare({
    files: [
      { path: name, data: new TextEncoder().encode("<script>window.__pwned = 1</script><img src=x onerror=alert(2)>"), mode: 0o644 },
      { path: "dir/<b onclick=alert(4)>bold.txt", data: new TextEncoder().encode("x"), mode: 0o644 },
    ],
    commands: ["<img src=x onerror=alert(3)>"],
  });
  await page.goto("/#" + fragment);
  const tree = page.getByRole("navigation", { name: "Shared files" });
  await expect(tree.getByTestId("tree-file").filter({ hasText: name })).toBeVisible();
  await expect(tree.getByText("<b onclick=alert(4)>bold.txt")).toBeVisible();
  await expect(page.getByTestId("shared-banner")).toContainText("<img src=x onerror=alert(3)>");
  await tree.getByTestId("tree-file").filter({ hasText: name }).click();
  await expect(page.getByTestId("editor-path")).toHaveText(name);
  await expect(editorText(page)).toContainText("window.__pwned");
  // No element was made from the names or contents.
  await expect(page.locator("main img, nav img, section img, [data-testid=shared-banner] img")).toHaveCount(0);
  await expect(page.locator("b", { hasText: "bold" })).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
});

test("a link with a path escape is refused with a clear message", async ({ page }) => {
  // Made by hand: encodeShare itself refuses such names.
  const json = JSON.stringify({ files: [{ path: "../../etc/passwd", text: "root::0:0" }] });
  const packed = await new Response(new Blob([json]).stream().pipeThrough(new CompressionStream("deflate-raw"))).arrayBuffer();
  const b64 = Buffer.from(packed).toString("base64url");
  await page.goto("/#share=v1." + b64);
  await expect(page.getByTestId("share-open-error")).toContainText('the file name "../../etc/passwd" is not allowed');
  await expect(page.getByTestId("shared-banner")).toHaveCount(0);
});

test("a workspace too large for a link gets its size and the limit", async ({ page }) => {
  await page.goto("/");
  // Random bytes do not compress.
  const noise = Buffer.alloc(100 * 1024);
  for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(Math.random() * 256);
  await page.getByTestId("upload-input").setInputFiles({ name: "noise.bin", mimeType: "application/octet-stream", buffer: noise });
  await expect(page.getByTestId("tree-file").filter({ hasText: "noise.bin" })).toBeVisible();
  await page.getByRole("button", { name: "Share" }).click();
  await page.getByTestId("share-dialog").getByRole("button", { name: "Create link" }).click();
  const error = page.getByTestId("share-error");
  await expect(error).toContainText(/makes a link of \d+ KB/);
  await expect(error).toContainText("at most 64 KB");
});

test("Dockerfile instructions have hover docs and completion", async ({ page }) => {
  await page.goto("/");
  await newFile(page, "Dockerfile");
  await typeInEditor(page, "FROM busybox\nVOLUME /data\n");
  // Hover over VOLUME (line 2).
  const word = editorText(page).getByText("VOLUME", { exact: true });
  await expect(word).toBeVisible();
  const box = (await word.boundingBox())!;
  await page.mouse.move(box.x + 5, box.y + box.height / 2, { steps: 4 });
  await page.mouse.move(box.x + 8, box.y + box.height / 2);
  await expect(page.locator(".monaco-hover").filter({ hasText: "Marks a path whose data lives outside" })).toBeVisible();
  // Completion at the start of a new line (the editor still has the focus).
  await page.mouse.move(0, 0);
  await page.keyboard.press("Control+End");
  await page.keyboard.type("WORK");
  const suggest = page.locator(".suggest-widget");
  await expect(suggest).toContainText("WORKDIR");
  await page.keyboard.press("Enter");
  await expect(editorText(page)).toContainText("WORKDIR /app");
});

test("dockerfile-utils' problems are markers next to ours, each problem once", async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await newFile(page, "Dockerfile");
  // WORKDIR app: only dockerfile-utils minds (a warning). STOPSIGNAL NOPE: both do; ours is shown.
  await typeInEditor(page, "FROM busybox\nWORKDIR app\nSTOPSIGNAL NOPE\n");
  const problems = page.getByTestId("problems");
  await expect(problems).toContainText("Problems: 1 error, 1 warning");
  await expect(problems.getByRole("listitem")).toHaveText([/Warning\s*line 2: WORKDIR paths should be absolute/, /Error\s*line 3: Invalid signal: NOPE/]);
  const editor = page.getByTestId("editor");
  await expect(editor.locator(".squiggly-warning")).toHaveCount(1);
  await expect(editor.locator(".squiggly-error")).toHaveCount(1);

  // Hovering the warning's words shows the linter's message and name.
  const word = editorText(page).getByText("app", { exact: true });
  const box = (await word.boundingBox())!;
  await page.mouse.move(box.x + 4, box.y + box.height / 2, { steps: 4 });
  await page.mouse.move(box.x + 6, box.y + box.height / 2);
  await expect(page.locator(".monaco-hover").filter({ hasText: "WORKDIR paths should be absolute" })).toContainText("dockerfile-utils");
  await page.mouse.move(0, 0);

  // Fixing both clears them.
  await page.getByRole("button", { name: /line 2: WORKDIR/ }).click();
  await page.keyboard.press("End");
  await page.keyboard.press("Shift+Home");
  await page.keyboard.insertText("WORKDIR /app");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("End");
  await page.keyboard.press("Shift+Home");
  await page.keyboard.insertText("STOPSIGNAL SIGINT");
  await expect(problems).toHaveText(/No problems/);
  await expect(editor.locator(".squiggly-warning, .squiggly-error")).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("the language service answers where our docs do not: flag hover, variables, argument hints", async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await newFile(page, "Dockerfile");
  await typeInEditor(page, "FROM busybox AS build\nFROM busybox\nARG VERSION=1.2\nCOPY --from=build /a /a\n");
  // Hover over --from (line 4, columns 6-11): the span of COPY gives the width of a character.
  const copy = editorText(page).getByText("COPY", { exact: true });
  await expect(copy).toBeVisible();
  const box = (await copy.boundingBox())!;
  const charWidth = box.width / 4;
  await page.mouse.move(box.x + 6 * charWidth, box.y + box.height / 2, { steps: 4 });
  await page.mouse.move(box.x + 7.5 * charWidth, box.y + box.height / 2);
  await expect(page.locator(".monaco-hover").filter({ hasText: "The previous build stage to use as the source location" })).toBeVisible();
  await page.mouse.move(0, 0);

  // $ offers the variables in scope (as ${…} when asked right after the $).
  await page.keyboard.press("Control+End");
  await page.keyboard.type("RUN echo $V");
  const suggest = page.locator(".suggest-widget");
  await expect(suggest).toContainText("${VERSION}");
  await page.keyboard.press("Enter");
  await expect(editorText(page)).toContainText("RUN echo ${VERSION}");

  // A space after an instruction shows its forms.
  await page.keyboard.press("End");
  await page.keyboard.insertText("\n");
  await page.keyboard.type("EXPOSE ");
  await expect(page.locator(".parameter-hints-widget")).toContainText("EXPOSE port ...");
  await page.keyboard.press("Escape");
  expect(errors).toEqual([]);
});
