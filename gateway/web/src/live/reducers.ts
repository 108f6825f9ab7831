/**
 * How each subscription's payloads fold into what a page shows. Pure functions, so that pages
 * stay small and the rules are tested on their own.
 */
import type {
  AvailableShoppingListsUpdatedSubscription,
  CatalogUpdatedSubscription,
  CustomerOrdersUpdatedSubscription,
  OrderStatus,
  OrderUpdatedSubscription,
} from "../gql/graphql";

export type CatalogUpdate = CatalogUpdatedSubscription["catalogUpdated"];
export type Product = CatalogUpdate["products"][number];

/** A store's catalog by name: the snapshot replaces it, a change upserts and removes. */
export function applyCatalog(previous: Product[] | undefined, update: CatalogUpdate): Product[] {
  const byId = new Map(update.snapshot ? [] : (previous ?? []).map((p) => [p.id, p]));
  for (const product of update.products) byId.set(product.id, product);
  for (const id of update.removedProductIds) byId.delete(id);
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export type OrderSummary = CustomerOrdersUpdatedSubscription["customerOrdersUpdated"]["orders"][number];

/** A customer's orders, newest first. */
export function applyCustomerOrders(
  previous: OrderSummary[] | undefined,
  update: CustomerOrdersUpdatedSubscription["customerOrdersUpdated"],
): OrderSummary[] {
  const byId = new Map(update.snapshot ? [] : (previous ?? []).map((o) => [o.id, o]));
  for (const order of update.orders) byId.set(order.id, order);
  return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export type Order = OrderUpdatedSubscription["orderUpdated"]["order"];

export interface OrderTimeline {
  order: Order;
  /** Every status received, in the order it arrived (a repeat of the last one is not kept). */
  statuses: OrderStatus[];
}

export function applyOrderUpdate(
  previous: OrderTimeline | undefined,
  update: OrderUpdatedSubscription["orderUpdated"],
): OrderTimeline {
  const statuses = previous?.statuses ?? [];
  const status = update.order.status;
  return {
    order: update.order,
    statuses: statuses[statuses.length - 1] === status ? statuses : [...statuses, status],
  };
}

/** The path an order takes when all goes well. */
export const HAPPY_PATH: readonly OrderStatus[] = ["PENDING", "APPROVED", "READY", "COMPLETED"];

export type ShoppingList =
  AvailableShoppingListsUpdatedSubscription["availableShoppingListsUpdated"]["shoppingLists"][number];

/** The lists a bot may take, oldest first: an AVAILABLE list is added, any other removed. */
export function applyAvailableLists(
  previous: ShoppingList[] | undefined,
  update: AvailableShoppingListsUpdatedSubscription["availableShoppingListsUpdated"],
): ShoppingList[] {
  const byId = new Map(update.snapshot ? [] : (previous ?? []).map((l) => [l.id, l]));
  for (const list of update.shoppingLists) {
    if (list.status === "AVAILABLE") byId.set(list.id, list);
    else byId.delete(list.id);
  }
  return [...byId.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}
