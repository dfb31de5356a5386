import { mkdirSync } from "node:fs";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { typeLine } from "./helpers.ts";

// Screenshots of the page's main views at 1280×800, in the light and the dark
// theme, saved as test artifacts (attached to the report, and written to
// test-results/screens/<theme>-<view>.png) so a person can look at them.
// Every view is also checked: what it must show, nothing scrolling sideways,
// an accessible name on every control and AA contrast for its text. One page
// and one guest per theme; at the end the page is narrowed to 1024×768.

test.use({ viewport: { width: 1280, height: 800 } });

type Theme = "light" | "dark";

/** Roles of controls that must have a name for a screen reader. */
const CONTROL_ROLES = new Set(["button", "link", "textbox", "combobox", "checkbox", "radio", "tab", "menuitem", "searchbox", "spinbutton", "slider", "switch", "treeitem", "separator"]);

/** Controls on the page whose computed accessible name is empty (from Chromium's accessibility tree). */
async function unnamedControls(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send("Accessibility.getFullAXTree")) as {
      nodes: { ignored: boolean; role?: { value: string }; name?: { value: string }; properties?: { name: string; value: { value: unknown } }[]; backendDOMNodeId?: number }[];
    };
    const out: string[] = [];
    for (const n of nodes) {
      const role = String(n.role?.value ?? "");
      if (n.ignored || !CONTROL_ROLES.has(role)) continue;
      // A separator only needs a name when it is focusable (the splitter).
      if (role === "separator" && !n.properties?.some((p) => p.name === "focusable" && p.value.value === true)) continue;
      if (String(n.name?.value ?? "").trim()) continue;
      let html = "";
      if (n.backendDOMNodeId !== undefined) {
        const { object } = (await cdp.send("DOM.resolveNode", { backendNodeId: n.backendDOMNodeId })) as { object: { objectId?: string } };
        if (object.objectId) {
          const r = (await cdp.send("Runtime.callFunctionOn", {
            objectId: object.objectId,
            functionDeclaration: "function () { return this.outerHTML.slice(0, 160); }",
            returnByValue: true,
          })) as { result: { value: string } };
          html = r.result.value;
        }
      }
      out.push(`${role}: ${html}`);
    }
    return out;
  } finally {
    await cdp.detach();
  }
}

/** Parts of the layout that scroll sideways (they should wrap or ellipsise instead). */
async function sidewaysOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const check = (el: Element | null, what: string) => {
      if (el && el.scrollWidth > el.clientWidth + 1) out.push(`${what}: ${el.scrollWidth} > ${el.clientWidth}`);
    };
    check(document.documentElement, "page");
    check(document.querySelector(".topbar"), "header");
    check(document.querySelector(".status-line"), "status line");
    check(document.querySelector(".tree-area .file-tree"), "file tree");
    check(document.querySelector(".side-panel .tab-panel:not([hidden])"), "side panel");
    for (const el of document.querySelectorAll(".tab-panel:not([hidden]) .object-row, .tab-panel:not([hidden]) .build-step, .shared-banner, dialog[open]")) {
      check(el, el.className || el.tagName);
    }
    return out;
  });
}

/**
 * Text whose contrast with what is behind it is under WCAG AA (4.5:1, or 3:1
 * for large text). Colours are read from computed styles; backgrounds are
 * composited up the ancestors. Disabled controls, the editor's and the
 * terminals' own canvases, and (while a modal dialog is open) the page behind
 * it are left out.
 */
async function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type RGBA = [number, number, number, number];
    const parse = (c: string): RGBA | null => {
      let m = /^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/.exec(c);
      if (m) return [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]];
      m = /^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.]+))?\)$/.exec(c);
      if (m) return [+m[1] * 255, +m[2] * 255, +m[3] * 255, m[4] === undefined ? 1 : +m[4]];
      return null;
    };
    const over = (top: RGBA, under: RGBA): RGBA => {
      const a = top[3] + under[3] * (1 - top[3]);
      if (a === 0) return [0, 0, 0, 0];
      const ch = (i: number) => (top[i] * top[3] + under[i] * under[3] * (1 - top[3])) / a;
      return [ch(0), ch(1), ch(2), a];
    };
    const lum = (c: RGBA) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
    };
    const background = (el: Element): RGBA => {
      const chain: RGBA[] = [];
      for (let e: Element | null = el; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg && bg[3] > 0) chain.push(bg);
        if (bg && bg[3] === 1) break;
      }
      let out: RGBA = [255, 255, 255, 1];
      for (const c of chain.reverse()) out = over(c, out);
      return out;
    };
    const modal = document.querySelector("dialog[open]");
    const out: string[] = [];
    const seen = new Set<Element>();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || seen.has(el) || !n.textContent?.trim()) continue;
      seen.add(el);
      if (el.closest(".monaco-editor, .xterm, svg, option, [hidden], .sr-only, :disabled, [aria-disabled=true]")) continue;
      if (modal && !modal.contains(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || r.bottom < 0 || r.top > innerHeight || r.right < 0 || r.left > innerWidth) continue;
      const style = getComputedStyle(el);
      if (style.visibility === "hidden") continue;
      let opacity = 1;
      for (let e: Element | null = el; e; e = e.parentElement) opacity *= +getComputedStyle(e).opacity;
      const bg = background(el);
      const fgRaw = parse(style.color);
      if (!fgRaw) continue;
      const fg = over([fgRaw[0], fgRaw[1], fgRaw[2], fgRaw[3] * opacity], bg);
      const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && +style.fontWeight >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`${ratio.toFixed(2)} "${n.textContent.trim().slice(0, 40)}" (${el.tagName.toLowerCase()}.${el.className}, ${style.color} on rgb(${bg.slice(0, 3).map(Math.round).join(", ")}))`);
    }
    return out;
  });
}

/** Checks the view as it is, then saves and attaches its screenshot. */
async function shot(page: Page, info: TestInfo, theme: Theme, view: string) {
  await page.mouse.move(0, 0); // no hover highlight where the last click was
  expect.soft(await sidewaysOverflow(page), `${view}: nothing scrolls sideways`).toEqual([]);
  expect.soft(await unnamedControls(page), `${view}: every control has a name`).toEqual([]);
  expect.soft(await lowContrast(page), `${view}: text has AA contrast`).toEqual([]);
  // test-results/screens/ (the run's output folder), beside the per-test folders.
  const dir = `${info.project.outputDir}/screens`;
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/${theme}-${view}.png`;
  await page.screenshot({ path, animations: "disabled", caret: "hide" });
  await info.attach(`${theme}-${view}`, { path, contentType: "image/png" });
}

for (const theme of ["light", "dark"] as const) {
  test(`the main views at 1280×800 (and 1024×768), ${theme} theme`, async ({ page }, info) => {
    test.setTimeout(420_000);
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.emulateMedia({ colorScheme: theme });
    await page.addInitScript((t) => localStorage.setItem("berth.theme", t), theme);
    await page.goto("/");
    await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
    await expect(page.getByTestId("theme-toggle")).toHaveAccessibleName(new RegExp(`Colour theme: ${theme}`));

    // --- the workbench: tree, editor, terminal -------------------------------
    await page.getByRole("button", { name: "Examples" }).click();
    await page.getByTestId("examples-menu").getByRole("button", { name: /Layered app/ }).click();
    await expect(page.getByRole("navigation", { name: "Workspace" }).getByTestId("tree-file")).toHaveText(["index.html", "style.css", "Dockerfile", "README.md", "serve.sh"]);
    await expect(page.getByTestId("editor-path")).toHaveText("Dockerfile");
    await expect(page.getByTestId("editor").locator(".view-lines")).toContainText("COPY serve.sh ./");
    await expect(page.getByTestId("guest-status")).toHaveText(/Guest running/);
    const terminal = page.getByTestId("docker-terminal");
    await expect(terminal).toContainText("$ ");
    await typeLine(page, terminal, "docker images");
    await expect(terminal).toContainText(/busybox\s+latest/);
    await expect(page.getByTestId("status-guest")).toHaveAttribute("data-state", "ready");
    await expect(page.getByRole("contentinfo", { name: "Status" })).toContainText(/Memory: .* of .* used/);
    await shot(page, info, theme, "1-workbench");

    // --- Build: a build, then a rebuild from the cache -----------------------
    const build = page.getByTestId("panel-build");
    const steps = build.getByTestId("build-step");
    await page.getByTestId("build-button").click();
    await expect(build.getByTestId("build-run")).toHaveAttribute("data-state", "done", { timeout: 120_000 });
    await page.getByTestId("build-button").click();
    await expect(build.getByTestId("build-run")).toHaveAttribute("data-state", "done", { timeout: 120_000 });
    await expect(steps).toHaveCount(4);
    await expect(steps.filter({ hasText: "CACHED" })).toHaveCount(3);
    await expect(build.getByTestId("build-run")).toContainText(/Built app:latest .* 0 steps built, 3 cached/);
    for (const s of await steps.all()) await expect(s).toBeInViewport();
    await shot(page, info, theme, "2-build");

    // --- Images: the layer explorer on the COPY site/ layer ------------------
    await page.getByRole("tab", { name: "Images" }).click();
    const images = page.getByTestId("panel-images");
    await images.getByTestId("image-row").filter({ hasText: "app:latest" }).getByRole("button", { name: /^app:latest/ }).click();
    const stack = images.getByTestId("layer-stack");
    await expect(stack.getByTestId("layer")).toHaveCount(4);
    await stack.getByTestId("layer").filter({ hasText: "COPY site/" }).click();
    await expect(stack.getByTestId("layer").filter({ hasText: "COPY site/" })).toHaveAttribute("aria-pressed", "true");
    const files = images.getByTestId("layer-files");
    await expect(files.locator('[data-kind="A"]').filter({ hasText: "index.html" }).getByTestId("fs-mark").first()).toHaveText("A");
    await files.getByTestId("fs-tree").scrollIntoViewIfNeeded();
    await expect(files.getByTestId("fs-tree").getByText("style.css")).toBeInViewport();
    await shot(page, info, theme, "3-images-layers");

    // --- Containers: a running container on the lifecycle diagram ------------
    // A volume with a file in it (a finished container's volume is saved), then a server using it.
    await typeLine(page, terminal, "docker run --rm -v site-data:/data busybox sh -c 'echo hello > /data/hello.txt'");
    await typeLine(page, terminal, "docker run -d --name web -p 8080:8080 -v site-data:/data app:latest");
    await page.getByRole("tab", { name: "Containers" }).click();
    const containers = page.getByTestId("panel-containers");
    const row = containers.getByTestId("container-row").filter({ hasText: "web" });
    await expect(row).toHaveAttribute("data-state", "running", { timeout: 60_000 });
    await row.getByRole("button").first().click();
    const diagram = containers.getByTestId("lifecycle");
    await expect(diagram).toHaveAttribute("data-state", "running");
    await expect(diagram.locator('[data-current="true"]')).toHaveText("running");
    await expect(containers.getByRole("button", { name: "Pause", exact: true })).toBeEnabled();
    await expect(containers.getByRole("button", { name: "Start", exact: true })).toBeDisabled();
    await expect(containers.getByTestId("container-logs")).toContainText("serving /app/site on port 8080");
    await expect(containers.getByTestId("port-link-8080")).toBeVisible();
    await shot(page, info, theme, "4-containers");

    // --- Volumes: the volume, who uses it, its files -------------------------
    await page.getByRole("tab", { name: "Volumes" }).click();
    const volumes = page.getByTestId("panel-volumes");
    const vrow = volumes.getByTestId("volume-row").filter({ hasText: "site-data" });
    await expect(vrow).toContainText("used by 1");
    await vrow.getByRole("button", { name: /^site-data/ }).click();
    const detail = volumes.getByTestId("volume-detail");
    await expect(detail).toContainText("web");
    await detail.getByRole("button", { name: "Browse files" }).click();
    await expect(detail.getByRole("tree", { name: "Files in site-data" })).toContainText("hello.txt");
    await shot(page, info, theme, "5-volumes");

    // --- Share: the dialog with a link made ----------------------------------
    await page.getByRole("button", { name: "Share" }).click();
    const share = page.getByTestId("share-dialog");
    await expect(share).toBeVisible();
    await share.getByRole("textbox", { name: /Commands to run/ }).fill("docker build -t app .\ndocker run --rm app echo shared");
    await share.getByRole("button", { name: "Create link" }).click();
    await expect(share.getByTestId("share-result")).toContainText("of the 64 KB a link can hold");
    const link = await share.getByTestId("share-link").inputValue();
    expect(link).toMatch(/#share=v1\.[A-Za-z0-9_-]+$/);
    await expect(share.getByRole("button", { name: "Close" })).toBeInViewport();
    await shot(page, info, theme, "6-share-dialog");
    await share.getByRole("button", { name: "Close" }).click();
    await expect(share).toHaveCount(0);

    // --- A shared link opened (in the same page: only the fragment changes) ---
    await page.evaluate((hash) => (location.hash = hash), new URL(link).hash);
    const banner = page.getByTestId("shared-banner");
    await expect(banner).toContainText("5 files, 2 commands to run");
    await expect(banner.getByRole("list", { name: "Commands in the link" }).getByRole("listitem")).toHaveCount(2);
    await expect(page.getByRole("navigation", { name: "Shared files" }).getByTestId("tree-file")).toHaveCount(5);
    await expect(page.getByTestId("editor-path")).toHaveText("Dockerfile");
    await expect(banner.getByRole("button", { name: "Run" })).toBeInViewport();
    await expect(banner.getByRole("button", { name: "Keep mine" })).toBeInViewport();
    await shot(page, info, theme, "7-shared-link");
    await banner.getByRole("button", { name: "Keep mine" }).click();
    await expect(banner).toHaveCount(0);

    // --- A smaller laptop: 1024×768 still lays out (Build and Containers) -----
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.getByRole("tab", { name: "Build" }).click();
    await expect(page.getByTestId("build-button")).toBeInViewport();
    await expect(page.getByTestId("editor-path")).toBeInViewport();
    await shot(page, info, theme, "8-build-1024");
    await page.getByRole("tab", { name: "Containers" }).click();
    await expect(containers.getByTestId("lifecycle")).toBeInViewport();
    await expect(containers.getByRole("button", { name: "Exec shell" })).toBeInViewport();
    await shot(page, info, theme, "9-containers-1024");

    expect(errors).toEqual([]);
  });
}
