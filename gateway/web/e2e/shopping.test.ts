import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accessibilityViolations,
  botFetches,
  customerPays,
  DESKTOP,
  launch,
  markPage,
  orderRef,
  orderStatusIs,
  PHONE,
  screenshot,
  signedIn,
  signIn,
  WEB_URL,
  statusLog,
  stillSamePage,
} from "./browser";

const dollars = (amount: number) => `$${amount.toFixed(2)}`;

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe("a customer shops, a bot fetches, the invoice is paid", () => {
  it("and the order page follows it live to COMPLETED", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const customer = await context.newPage();
    await signIn(customer, /Buyer #1/, "login");

    // The catalog is live: the store manager changes a price, the shop shows it, no reload.
    await customer.getByRole("button", { name: /Waldorf Books/ }).waitFor();
    const price = customer.getByTestId("price-1234");
    await price.filter({ hasText: /^\$\d+\.\d\d$/ }).waitFor();
    const before = Number((await price.textContent())!.slice(1));
    const after = dollars(before + 1);
    await markPage(customer);
    const manager = await signedIn(browser, /Manager of Waldorf Books/);
    await manager.getByTestId("manage-price-1234").filter({ hasText: dollars(before) }).waitFor();
    await manager.getByLabel("New price of EDA with Golang").fill(after.slice(1));
    await manager.getByRole("button", { name: "Change the price of EDA with Golang" }).click();
    await manager.getByTestId("manage-price-1234").filter({ hasText: after }).waitFor();
    await price.filter({ hasText: after }).waitFor();
    // A new product appears in the shop too.
    const sku = `e2e-${Date.now()}`;
    await manager.getByLabel("Name", { exact: true }).fill("Domain-Driven Design");
    await manager.getByLabel("SKU").fill(sku);
    await manager.getByLabel("Price", { exact: true }).fill("30.00");
    await manager.getByRole("button", { name: "Add the product" }).click();
    await manager.getByRole("status").filter({ hasText: "is in the catalog" }).waitFor();
    await manager.getByTestId(`manage-price-${sku}`).filter({ hasText: "$30.00" }).waitFor();
    await screenshot(manager, "store-manager");
    await customer.getByTestId(`price-${sku}`).filter({ hasText: "$30.00" }).waitFor();
    expect(await stillSamePage(customer)).toBe(true);

    const add = customer.getByRole("button", { name: "Add EDA with Golang to the basket" });
    await add.click();
    await customer.getByTestId("basket-total").filter({ hasText: after }).waitFor();
    await add.click();
    await customer.getByTestId("basket-total").filter({ hasText: dollars(2 * (before + 1)) }).waitFor();
    await screenshot(customer, "shop");
    await customer.getByRole("button", { name: "Pay and check out" }).click();

    await customer.getByRole("heading", { name: "My orders" }).waitFor();
    const order = customer.getByRole("link", { name: /^Order of / }).first();
    await order.waitFor();
    await screenshot(customer, "orders");
    await order.click();
    await orderStatusIs(customer, "Approved");
    await markPage(customer);

    const ref = orderRef(customer);
    const bot = await signedIn(browser, /Bot #1/);
    await botFetches(bot, ref, "bot-console");
    await orderStatusIs(customer, "Ready");

    const payer = await context.newPage();
    await signIn(payer, /Buyer #1/);
    await customerPays(payer, ref, "invoices");
    await orderStatusIs(customer, "Completed");

    expect(await stillSamePage(customer)).toBe(true);
    const log = await statusLog(customer);
    expect(log.slice(log.indexOf("Approved"))).toEqual(["Approved", "Ready", "Completed"]);
    const saga = customer.getByTestId("saga-steps").getByRole("listitem");
    expect(await saga.allTextContents()).toEqual([
      "Customer authorized: success",
      "Shopping list created: success",
      "Payment confirmed: success",
      "Shopping list sent to the bots: success",
      "Order approved: success",
    ]);
    await screenshot(customer, "order");
    await context.close();
    await manager.context().close();
    await bot.context().close();
  });

  it("shows an order that is not the customer's as not found", async () => {
    const customer = await signedIn(browser, /Buyer #1/);
    await customer.goto(`${WEB_URL}/orders/00000000-0000-4000-8000-000000000000`);
    const alert = customer.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Not found/);
    await customer.context().close();
  });

  it("works from the keyboard", async () => {
    const customer = await signedIn(browser, /Buyer #1/);
    await customer.getByTestId("price-1234").waitFor();
    await customer.keyboard.press("Tab");
    const focused = () => customer.evaluate(() => document.activeElement?.textContent?.trim());
    expect(await focused()).toBe("Skip to content");
    await customer.keyboard.press("Enter");
    expect(await customer.evaluate(() => document.activeElement?.id)).toBe("main");
    // Tab through the page to the product's button, and press it with the keyboard.
    for (let i = 0; i < 20 && (await focused()) !== "Add to basket"; i += 1) {
      await customer.keyboard.press("Tab");
    }
    expect(await focused()).toBe("Add to basket");
    await customer.keyboard.press("Enter");
    await customer.getByTestId("basket-total").waitFor();
    await customer.context().close();
  });

  it("fits a phone's width", async () => {
    const phone = await signedIn(browser, /Buyer #1/, PHONE);
    await phone.getByTestId("price-1234").waitFor();
    const overflow = await phone.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(phone, "shop-phone");
    await phone.context().close();
  });

  it("passes axe's WCAG 2 A/AA checks on every page", async () => {
    const violations: string[] = [];
    const check = async (page: Page, name: string) => {
      for (const v of await accessibilityViolations(page)) violations.push(`${name}: ${v}`);
    };
    const tab = async () => (await browser.newContext({ bypassCSP: true, viewport: DESKTOP })).newPage();

    const customer = await tab();
    await customer.goto(WEB_URL);
    await customer.getByRole("button", { name: /Buyer #1/ }).waitFor();
    await check(customer, "sign-in");
    await customer.getByRole("button", { name: /Buyer #1/ }).click();
    await customer.getByTestId("price-1234").waitFor();
    await check(customer, "shop");
    await customer.getByRole("link", { name: "My orders" }).click();
    await customer.getByRole("link", { name: /^Order of / }).first().click();
    await customer.getByTestId("order-status").waitFor();
    await check(customer, "order");
    await customer.getByRole("link", { name: "Invoices" }).click();
    await customer.getByText("Paid").first().waitFor();
    await check(customer, "invoices");

    const bot = await tab();
    await signIn(bot, /Bot #1/);
    await bot.getByRole("heading", { name: "Available shopping lists" }).waitFor();
    await check(bot, "bot console");

    const manager = await tab();
    await signIn(manager, /Manager of Waldorf Books/);
    await manager.getByTestId("manage-price-1234").waitFor();
    await check(manager, "store manager");

    expect(violations).toEqual([]);
    for (const page of [customer, bot, manager]) await page.context().close();
  });
});
