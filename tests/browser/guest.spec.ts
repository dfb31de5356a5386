import { expect, test } from "@playwright/test";

test("the page restores the guest and its terminal runs commands", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto("/");
  await expect(page.getByTestId("guest-status")).toHaveText(/Guest running/);
  await page.getByRole("tab", { name: "VM shell" }).click();
  const terminal = page.getByTestId("terminal");
  // The guest's shell prompt.
  await expect(terminal).toContainText("# ");
  await terminal.click();
  await page.keyboard.type("uname -a\n");
  await expect(terminal).toContainText(/Linux berth \S+ .*i686/);
  expect(errors).toEqual([]);
});

test("a broken guest asset gives a clear error naming the file", async ({ page }) => {
  await page.route("**/guest/state.bin.gz", async (route) => {
    const res = await route.fetch();
    const body = Buffer.from(await res.body());
    body[100] ^= 0xff;
    await route.fulfill({ response: res, body });
  });
  await page.goto("/");
  const error = page.getByTestId("guest-error");
  await expect(error).toContainText("state.bin.gz");
  await expect(error).toContainText("sha256");
});
