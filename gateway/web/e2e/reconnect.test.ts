import type { Browser, Page, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  botFetches,
  customerPays,
  launch,
  markPage,
  orderRef,
  orderStatusIs,
  screenshot,
  signedIn,
  signIn,
  statusLog,
  stillSamePage,
  WEB_URL,
} from "./browser";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

/**
 * Every WebSocket of one page goes through here, so that the test can drop them all and keep the
 * gateway "unreachable" (each new socket is closed on its first message, `connection_init`)
 * until it lets them through again.
 */
async function cuttableSockets(page: Page) {
  let cut = false;
  const open = new Map<WebSocketRoute, WebSocketRoute>();
  const dropped = { code: 1012, reason: "gateway restarting" };
  await page.routeWebSocket(/\/graphql$/, (socket) => {
    if (cut) {
      // "Unreachable": the page's socket opens (mocked), and is closed at its first message.
      socket.onMessage(() => void socket.close(dropped));
      return;
    }
    const server = socket.connectToServer();
    open.set(socket, server);
    // With a close handler, Playwright no longer forwards the page's close: do it here.
    socket.onClose((code, reason) => {
      open.delete(socket);
      void server.close({ code, reason });
    });
  });
  return {
    async drop() {
      cut = true;
      const pairs = [...open];
      open.clear();
      await Promise.all(pairs.flatMap(([page, server]) => [page.close(dropped), server.close()]));
    },
    restore() {
      cut = false;
    },
  };
}

describe("the order page when the connection drops mid-order", () => {
  it("shows that it reconnects, then recovers every status it missed", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const customer = await context.newPage();
    const sockets = await cuttableSockets(customer);
    await signIn(customer, /Buyer #1/);
    const add = customer.getByRole("button", { name: "Add EDA with Golang to the basket" });
    await add.click();
    await add.click();
    await customer.getByTestId("basket-total").filter({ hasText: /\$\d/ }).waitFor();
    await customer.getByRole("button", { name: "Pay and check out" }).click();
    await customer.getByRole("heading", { name: "My orders" }).waitFor();
    // The newest order first: this test's (an earlier test may have completed another).
    await customer.getByRole("link", { name: /^Order of / }).first().click();
    await orderStatusIs(customer, "Approved");
    const orderPath = new URL(customer.url()).pathname;
    await markPage(customer);
    await customer.getByRole("status").filter({ hasText: "Live" }).waitFor();

    await sockets.drop();
    await customer.getByRole("status").filter({ hasText: "Reconnecting" }).waitFor();
    await screenshot(customer, "order-reconnecting");

    // Meanwhile the bot fetches the goods and the customer pays, in other tabs.
    const ref = orderRef(customer);
    const bot = await signedIn(browser, /Bot #1/);
    await botFetches(bot, ref);
    const payer = await context.newPage();
    await signIn(payer, /Buyer #1/);
    await customerPays(payer, ref);
    await payer.goto(`${WEB_URL}${orderPath}`);
    await orderStatusIs(payer, "Completed");

    // The order page missed READY and COMPLETED; still showing APPROVED, reconnecting.
    expect(await customer.getByTestId("order-status").textContent()).toBe("Approved");
    sockets.restore();
    await orderStatusIs(customer, "Completed");
    await customer.getByRole("status").filter({ hasText: "Live" }).waitFor();

    expect(await stillSamePage(customer)).toBe(true);
    const log = await statusLog(customer);
    expect(log.slice(log.indexOf("Approved"))).toEqual(["Approved", "Ready", "Completed"]);
    await context.close();
    await bot.context().close();
  });
});
