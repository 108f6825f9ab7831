import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

/** Where the stack under test serves the app, and where pictures of its pages go. */
export const WEB_URL = process.env.MALLBOTS_WEB_URL ?? "http://127.0.0.1:8000";
const SCREENSHOTS = process.env.MALLBOTS_SCREENSHOTS ?? "../../docs/screenshots";
const CHROMIUM = process.env.MALLBOTS_CHROMIUM ?? "/usr/bin/chromium";

/** Debian's Chromium, headless, with the flags of TOOLING-NOTES.md (no sandbox: containers). */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** A new tab (its own sessionStorage, so its own user) signed in as the demo user `label`. */
export async function signedIn(browser: Browser, label: RegExp, viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await signIn(page, label);
  return page;
}

export async function signIn(page: Page, label: RegExp, picture?: string): Promise<void> {
  await page.goto(WEB_URL);
  const user = page.getByRole("button", { name: label });
  await user.waitFor();
  if (picture) await screenshot(page, picture);
  await user.click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Mark the page; `stillSamePage` is false once it has been reloaded or left. */
export async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __mark: boolean }).__mark = true));
}

export function stillSamePage(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __mark?: boolean }).__mark === true);
}

/** The statuses the order page has received, in order (its "Updates received" list). */
export function statusLog(page: Page): Promise<string[]> {
  return page.getByTestId("status-log").getByRole("listitem").allTextContents();
}

/** Wait until the order page shows `status` (through its live subscription: no reload). */
export async function orderStatusIs(page: Page, status: string): Promise<void> {
  await page.getByTestId("order-status").filter({ hasText: new RegExp(`^${status}$`) }).waitFor();
}

/** The short reference the pages show for the order open in `page` (`/orders/<id>`). */
export function orderRef(page: Page): string {
  const id = new URL(page.url()).pathname.split("/").pop() ?? "";
  return id.slice(0, 8);
}

/** In the bot console: take the list of order `ref` and complete it. */
export async function botFetches(bot: Page, ref: string, picture?: string): Promise<void> {
  const list = bot.getByRole("listitem").filter({ hasText: `For order ${ref}` });
  await list.getByRole("button", { name: "Take this list" }).click();
  const complete = bot.getByRole("button", { name: "Mark the list as completed" });
  await complete.waitFor();
  if (picture) await screenshot(bot, picture);
  await complete.click();
  await bot.getByText("Shopping list completed").waitFor();
}

/** On the invoices page: pay the invoice of order `ref`. */
export async function customerPays(payer: Page, ref: string, picture?: string): Promise<void> {
  await payer.getByRole("link", { name: "Invoices" }).click();
  const row = payer.getByRole("listitem").filter({ hasText: `Order ${ref}` });
  const pay = row.getByRole("button", { name: /^Pay \$/ });
  await pay.waitFor();
  if (picture) await screenshot(payer, picture);
  await pay.click();
  await row.getByText("Paid").waitFor();
}

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/**
 * axe-core's WCAG 2 A and AA rules (labels, names, contrast, landmarks…) on the page as it is;
 * the violations, as "rule: element" lines. The page's context needs `bypassCSP`, since the
 * app's Content-Security-Policy rightly refuses the injected script.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (...a: unknown[]) => Promise<AxeResult> } }).axe;
    const result = await axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21aa"] });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
  });
}

interface AxeResult {
  violations: { id: string; nodes: { target: string[] }[] }[];
}
