import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { GraphQLError, type DocumentNode } from "graphql";
import { CombinedError, Provider, type Client, type Operation, type OperationResult } from "urql";
import { describe, expect, it } from "vitest";
import { fromValue, never } from "wonka";
import { Shop } from "./Shop";

const store = { id: "s1", name: "Waldorf Books", location: "West Upper Level" };
const product = {
  id: "p1", storeId: "s1", name: "EDA with Golang", description: "", sku: "1234", price: "49.99",
};

/** A client that answers by operation name, as the gateway would. */
function client(answers: Record<string, (operation: Operation) => Partial<OperationResult>>) {
  const answer = (operation: Operation) => {
    const definition = (operation.query as DocumentNode).definitions[0] as { name?: { value: string } };
    const respond = answers[definition.name?.value ?? ""];
    return respond ? fromValue({ operation, stale: false, hasNext: false, ...respond(operation) }) : never;
  };
  return {
    executeQuery: answer,
    executeMutation: answer,
    executeSubscription: answer,
  } as unknown as Client;
}

describe("the shop", () => {
  it("lists the stores and their catalog, and adds to a new basket", async () => {
    const added: unknown[] = [];
    const api = client({
      Stores: () => ({ data: { stores: [store] } }),
      CatalogUpdated: () => ({
        data: { catalogUpdated: { storeId: "s1", snapshot: true, products: [product], removedProductIds: [], cursor: "1-0" } },
      }),
      StartBasket: () => ({ data: { startBasket: { basket: { id: "b1", status: "OPEN", total: "0", items: [] } } } }),
      AddBasketItem: (operation) => {
        added.push(operation.variables);
        return {
          data: {
            addBasketItem: {
              basket: {
                id: "b1", status: "OPEN", total: "49.99",
                items: [{ productId: "p1", storeId: "s1", productName: "EDA with Golang", storeName: "Waldorf Books", price: "49.99", quantity: 1 }],
              },
            },
          },
        };
      },
    });
    render(
      <Provider value={api}>
        <Shop customerId="c1" />
      </Provider>,
    );
    expect(await screen.findByRole("button", { name: /Waldorf Books/ })).toBeTruthy();
    expect(screen.getByTestId("price-1234").textContent).toBe("$49.99");

    await userEvent.click(screen.getByRole("button", { name: "Add EDA with Golang to the basket" }));
    expect((await screen.findByTestId("basket-total")).textContent).toBe("$49.99");
    expect(added).toMatchObject([{ input: { basketId: "b1", productId: "p1", quantity: 1 } }]);
    expect(sessionStorage.getItem("mallbots.basket.c1")).toBe("b1");
  });

  it("shows the API's reason when the basket cannot be modified", async () => {
    sessionStorage.setItem("mallbots.basket.c1", "b1");
    const refused = new CombinedError({
      graphQLErrors: [new GraphQLError("the basket cannot be modified", { extensions: { code: "BAD_REQUEST" } })],
    });
    const api = client({
      Stores: () => ({ data: { stores: [store] } }),
      CatalogUpdated: () => ({
        data: { catalogUpdated: { storeId: "s1", snapshot: true, products: [product], removedProductIds: [], cursor: "1-0" } },
      }),
      Basket: () => ({ data: { basket: { id: "b1", status: "OPEN", total: "0", items: [] } } }),
      AddBasketItem: () => ({ error: refused }),
    });
    render(
      <Provider value={api}>
        <Shop customerId="c1" />
      </Provider>,
    );
    await userEvent.click(await screen.findByRole("button", { name: "Add EDA with Golang to the basket" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("the basket cannot be modified");
    expect(alert.textContent).toContain("BAD_REQUEST");
  });
});
