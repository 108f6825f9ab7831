import { act, render, screen, within } from "@testing-library/react";
import { Provider, type Client, type OperationResult } from "urql";
import { describe, expect, it } from "vitest";
import { makeSubject } from "wonka";
import type { OrderUpdatedSubscription } from "../gql/graphql";
import { Order } from "./Order";

type OrderUpdate = OrderUpdatedSubscription["orderUpdated"];

function liveClient() {
  const subject = makeSubject<OperationResult>();
  const client = { executeSubscription: () => subject.source } as unknown as Client;
  const push = (update: OrderUpdate) =>
    act(() => subject.next({ data: { orderUpdated: update } } as unknown as OperationResult));
  return { client, push };
}

const step = (n: number, command: string) => ({
  step: n, direction: "forward", command, outcome: "SUCCESS" as const,
  at: "2026-12-01T10:00:00", error: "",
});

function update(status: OrderUpdate["order"]["status"], history: ReturnType<typeof step>[], cursor: string): OrderUpdate {
  return {
    cursor,
    order: {
      id: "4f6c2a8e-0000-0000-0000-000000000000", status, total: "99.98", invoiceId: null,
      shoppingListId: null, updatedAt: "2026-12-01T10:00:00",
      items: [{ productId: "p", productName: "EDA with Golang", storeName: "Waldorf Books", price: "49.99", quantity: 2 }],
      saga: { step: history.length, done: status !== "PENDING", compensating: false, history },
    },
  };
}

describe("the order page", () => {
  it("follows the status and the saga's steps as updates arrive", async () => {
    const { client, push } = liveClient();
    render(
      <Provider value={client}>
        <Order orderId="4f6c2a8e-0000-0000-0000-000000000000" />
      </Provider>,
    );
    expect(screen.getByText("Loading the order…")).toBeTruthy();

    await push(update("PENDING", [step(1, "customersapi.AuthorizeCustomer")], "1-0"));
    expect(screen.getByTestId("order-status").textContent).toBe("Pending");
    expect(screen.getByText("2 × EDA with Golang (Waldorf Books) — $49.99")).toBeTruthy();

    await push(
      update("APPROVED", [
        step(1, "customersapi.AuthorizeCustomer"),
        step(2, "depotapi.CreateShoppingListCommand"),
        step(3, "paymentsapi.ConfirmPayment"),
        step(4, "depotapi.InitiateShoppingCommand"),
        step(5, "ordersapi.ApproveOrder"),
      ], "2-0"),
    );
    expect(screen.getByTestId("order-status").textContent).toBe("Approved");
    const saga = within(screen.getByTestId("saga-steps")).getAllByRole("listitem");
    expect(saga.map((li) => li.textContent)).toEqual([
      "Customer authorized: success",
      "Shopping list created: success",
      "Payment confirmed: success",
      "Shopping list sent to the bots: success",
      "Order approved: success",
    ]);
    const log = within(screen.getByTestId("status-log")).getAllByRole("listitem");
    expect(log.map((li) => li.textContent)).toEqual(["Pending", "Approved"]);
    const progress = screen.getByRole("list", { name: "Progress" });
    const current = within(progress).getByText("Approved");
    expect(current.getAttribute("aria-current")).toBe("step");
  });
});
