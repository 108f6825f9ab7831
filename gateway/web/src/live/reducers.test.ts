import { describe, expect, it } from "vitest";
import {
  applyAvailableLists,
  applyCatalog,
  applyCustomerOrders,
  applyOrderUpdate,
  type CatalogUpdate,
  type Order,
  type ShoppingList,
} from "./reducers";

const product = (id: string, name: string, price: string) => ({
  id, storeId: "s", name, description: "", sku: id, price,
});

const catalog = (update: Partial<CatalogUpdate>): CatalogUpdate => ({
  storeId: "s", snapshot: false, products: [], removedProductIds: [], cursor: "1-0", ...update,
});

describe("applyCatalog", () => {
  it("replaces the catalog with a snapshot, then applies changes and removals", () => {
    let products = applyCatalog(undefined, catalog({ snapshot: true, products: [product("b", "Book", "10.00"), product("a", "Atlas", "5.00")] }));
    expect(products.map((p) => p.name)).toEqual(["Atlas", "Book"]);
    products = applyCatalog(products, catalog({ products: [product("b", "Book", "12.00")] }));
    expect(products.find((p) => p.id === "b")?.price).toBe("12.00");
    products = applyCatalog(products, catalog({ removedProductIds: ["a"] }));
    expect(products.map((p) => p.id)).toEqual(["b"]);
    products = applyCatalog(products, catalog({ snapshot: true, products: [product("c", "Cards", "1.00")] }));
    expect(products.map((p) => p.id)).toEqual(["c"]);
  });
});

const order = (status: Order["status"]): Order => ({
  id: "o", status, total: "99.98", invoiceId: null, shoppingListId: null,
  updatedAt: "2026-12-01T00:00:00", items: [], saga: null,
});

describe("applyOrderUpdate", () => {
  it("keeps every status in the order received, without repeats of the last one", () => {
    let timeline = applyOrderUpdate(undefined, { cursor: "1-0", order: order("PENDING") });
    timeline = applyOrderUpdate(timeline, { cursor: "2-0", order: order("PENDING") });
    timeline = applyOrderUpdate(timeline, { cursor: "3-0", order: order("APPROVED") });
    timeline = applyOrderUpdate(timeline, { cursor: "4-0", order: order("READY") });
    expect(timeline.statuses).toEqual(["PENDING", "APPROVED", "READY"]);
    expect(timeline.order.status).toBe("READY");
  });
});

describe("applyCustomerOrders", () => {
  it("lists the newest first and updates a changed order in place", () => {
    const summary = (id: string, createdAt: string, status: Order["status"]) => ({
      id, status, total: "1.00", basketId: null, createdAt, updatedAt: createdAt,
    });
    let orders = applyCustomerOrders(undefined, {
      snapshot: true, cursor: "1-0",
      orders: [summary("old", "2026-01-01", "COMPLETED"), summary("new", "2026-02-01", "PENDING")],
    });
    expect(orders.map((o) => o.id)).toEqual(["new", "old"]);
    orders = applyCustomerOrders(orders, {
      snapshot: false, cursor: "2-0", orders: [summary("new", "2026-02-01", "APPROVED")],
    });
    expect(orders.map((o) => [o.id, o.status])).toEqual([["new", "APPROVED"], ["old", "COMPLETED"]]);
  });
});

describe("applyAvailableLists", () => {
  const list = (id: string, status: ShoppingList["status"], createdAt = "2026-01-01") => ({
    id, orderId: id, status, createdAt, stops: [],
  });

  it("adds lists that become available and drops those that no longer are", () => {
    let lists = applyAvailableLists(undefined, { snapshot: true, cursor: "1", shoppingLists: [list("a", "AVAILABLE")] });
    lists = applyAvailableLists(lists, { snapshot: false, cursor: "2", shoppingLists: [list("b", "AVAILABLE", "2026-01-02")] });
    expect(lists.map((l) => l.id)).toEqual(["a", "b"]);
    lists = applyAvailableLists(lists, { snapshot: false, cursor: "3", shoppingLists: [list("a", "ASSIGNED")] });
    expect(lists.map((l) => l.id)).toEqual(["b"]);
  });
});
