import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { typeLine } from "./helpers.ts";
import { startRegistry, type TestRegistry } from "../../scripts/registry.mjs";

// The built app against Debian's docker-registry on 127.0.0.1: an image put
// there by skopeo is pulled in the page's docker terminal and runs; a second
// pull finds every layer already there.

const root = path.resolve(import.meta.dirname, "../..");
let registry: TestRegistry;

test.beforeAll(async () => {
  registry = await startRegistry();
  const layout = `oci:${path.join(root, "public/images/busybox")}:latest`;
  const copy = spawnSync("skopeo", ["copy", "--dest-tls-verify=false", layout, `docker://${registry.host}/skopeo/box:1`], { encoding: "utf8" });
  if (copy.status !== 0) throw new Error(`skopeo copy failed: ${copy.stderr}`);
});

test.afterAll(async () => {
  await registry?.stop();
});

test("an image skopeo pushed is pulled in the page and runs; a second pull transfers no layer", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByTestId("guest-status")).toHaveText(/Guest running/);
  const terminal = page.getByTestId("docker-terminal");
  await expect(terminal).toContainText("$ ");
  const ref = `${registry.host}/skopeo/box:1`;
  // busybox's layer is bundled already: retag so that the pull must fetch the manifest and config.
  await typeLine(page, terminal, `docker pull ${ref}`);
  await expect(terminal).toContainText(`Status: Downloaded newer image for ${ref}`, { timeout: 60_000 });
  await typeLine(page, terminal, `docker run --rm ${ref} echo pulled-and-ran`);
  await expect(terminal).toContainText(/^pulled-and-ran$/m, { useInnerText: true, timeout: 60_000 });
  await typeLine(page, terminal, `docker pull ${ref}`);
  await expect(terminal).toContainText(`Status: Image is up to date for ${ref}`, { timeout: 60_000 });
});
