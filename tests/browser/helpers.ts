// What the Playwright specs share: opening the page until the docker terminal
// is ready, typing into a terminal, loading a starter example, page errors.
import { expect, type Locator, type Page } from "@playwright/test";

/** Collects the page's uncaught errors (a test ends by expecting none). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

/** Opens the page and waits for the guest and the docker terminal's prompt. */
export async function ready(page: Page): Promise<Locator> {
  await page.goto("/");
  await expect(page.getByTestId("guest-status")).toHaveText(/Guest running/);
  const terminal = page.getByTestId("docker-terminal");
  await expect(terminal).toContainText("$ ");
  return terminal;
}

/** Types a line into a terminal (xterm's hidden textarea has focus after a click). */
export async function typeLine(page: Page, terminal: Locator, line: string): Promise<void> {
  await terminal.click();
  await page.keyboard.type(line);
  await page.keyboard.press("Enter");
}

/** Picks a starter example from the Examples menu. */
export async function loadExample(page: Page, title: RegExp): Promise<void> {
  await page.getByRole("button", { name: "Examples" }).click();
  await page.getByTestId("examples-menu").getByRole("button", { name: title }).click();
}

/** The text Monaco shows. */
export const editorText = (page: Page): Locator => page.getByTestId("editor").locator(".view-lines");
