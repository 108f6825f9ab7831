import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch, markPage, orderStatusIs, signIn, statusLog, stillSamePage } from "./browser";

/** The stack's controls (tests/web/control.py): only when pytest runs the stack. */
const CONTROL = process.env.MALLBOTS_E2E_CONTROL_URL!;

async function control(path: string): Promise<void> {
  const response = await fetch(`${CONTROL}${path}`, { method: "POST" });
  expect(response.status, `${path}: ${await response.text()}`).toBe(200);
}

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe("the order page when the gateway restarts mid-order", () => {
  it("reconnects to the new gateway and shows what happened while it was down", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const customer = await context.newPage();
    await signIn(customer, /Buyer #1/);
    const add = customer.getByRole("button", { name: "Add EDA with Golang to the basket" });
    await add.click();
    await customer.getByTestId("basket-total").filter({ hasText: /\$\d/ }).waitFor();
    await customer.getByRole("button", { name: "Pay and check out" }).click();
    await customer.getByRole("link", { name: /^Order of / }).first().click();
    await orderStatusIs(customer, "Approved");
    const orderId = new URL(customer.url()).pathname.split("/").pop();
    await markPage(customer);
    await customer.getByRole("status").filter({ hasText: "Live" }).waitFor();

    await control("/gateway/stop");
    await customer.getByRole("status").filter({ hasText: "Reconnecting" }).waitFor();
    // While no gateway runs, the bot fetches the goods and the invoice is paid (backend calls).
    await control(`/orders/${orderId}/complete`);
    expect(await customer.getByTestId("order-status").textContent()).toBe("Approved");
    await control("/gateway/start");

    await orderStatusIs(customer, "Completed");
    await customer.getByRole("status").filter({ hasText: "Live" }).waitFor();
    expect(await stillSamePage(customer)).toBe(true);
    const log = await statusLog(customer);
    expect(log.slice(log.indexOf("Approved"))).toEqual(["Approved", "Ready", "Completed"]);
    await context.close();
  });
});
