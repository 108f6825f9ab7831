import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { DocumentNode } from "graphql";
import { Provider, type Client, type Operation, type OperationResult } from "urql";
import { describe, expect, it } from "vitest";
import { fromValue, makeSubject } from "wonka";
import { Bot } from "./Bot";

const list = (id: string, status: string) => ({
  id, orderId: `${id}-order-0000`, status, createdAt: `2026-12-01T10:00:0${id.length}`,
  stops: [{ storeId: "s1", storeName: "Waldorf Books", storeLocation: "West Upper Level",
            items: [{ productId: "p1", productName: "EDA with Golang", quantity: 2 }] }],
});  // one stop: two books

describe("the bot console", () => {
  it("shows the available lists live and takes one for this bot", async () => {
    const lists = makeSubject<OperationResult>();
    const assigned: unknown[] = [];
    const name = (operation: Operation) =>
      ((operation.query as DocumentNode).definitions[0] as { name: { value: string } }).name.value;
    const client = {
      executeSubscription: () => lists.source,
      executeQuery: (operation: Operation) =>
        fromValue({ operation, data: { bot: { id: "bot1", name: "Bot #1", status: "IDLE", shoppingList: null } } }),
      executeMutation: (operation: Operation) => {
        expect(name(operation)).toBe("AssignShoppingList");
        assigned.push(operation.variables);
        return fromValue({ operation, data: { assignShoppingList: { shoppingList: { id: "aa", status: "ASSIGNED", assignedBotId: "bot1" } } } });
      },
    } as unknown as Client;
    const push = (data: unknown) => act(() => lists.next({ data } as OperationResult));

    render(
      <Provider value={client}>
        <Bot botId="bot1" />
      </Provider>,
    );
    expect(await screen.findByRole("heading", { name: "Bot #1" })).toBeTruthy();
    await push({ availableShoppingListsUpdated: { snapshot: true, cursor: "1", shoppingLists: [list("aa", "AVAILABLE")] } });
    await push({ availableShoppingListsUpdated: { snapshot: false, cursor: "2", shoppingLists: [list("bbb", "AVAILABLE")] } });
    expect(screen.getAllByRole("button", { name: "Take this list" })).toHaveLength(2);
    expect(screen.getByRole("heading", { name: "For order aa-order" })).toBeTruthy();

    await userEvent.click(screen.getAllByRole("button", { name: "Take this list" })[0]);
    expect(assigned).toMatchObject([{ input: { shoppingListId: "aa", botId: "bot1" } }]);

    await push({ availableShoppingListsUpdated: { snapshot: false, cursor: "3", shoppingLists: [list("aa", "ASSIGNED")] } });
    expect(screen.getAllByRole("button", { name: "Take this list" })).toHaveLength(1);
    expect(screen.queryByRole("heading", { name: "For order aa-order" })).toBeNull();
  });
});
