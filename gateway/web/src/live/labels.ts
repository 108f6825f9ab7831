import type { OrderStatus } from "../gql/graphql";

export const STATUS_LABELS: Record<OrderStatus, string> = {
  PENDING: "Pending",
  APPROVED: "Approved",
  READY: "Ready",
  COMPLETED: "Completed",
  REJECTED: "Rejected",
  CANCELLED: "Cancelled",
};

const SAGA_COMMANDS: Record<string, string> = {
  AuthorizeCustomer: "Customer authorized",
  CreateShoppingListCommand: "Shopping list created",
  ConfirmPayment: "Payment confirmed",
  InitiateShoppingCommand: "Shopping list sent to the bots",
  ApproveOrder: "Order approved",
  CancelShoppingListCommand: "Shopping list cancelled",
  RejectOrder: "Order rejected",
};

/** `customersapi.AuthorizeCustomer` → `Customer authorized`. */
export function sagaStepLabel(command: string): string {
  const name = command.split(".").pop() ?? command;
  return SAGA_COMMANDS[name] ?? name;
}

const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

/** A Decimal from the API (a string such as "49.99") for display. */
export function formatMoney(amount: string): string {
  const value = Number(amount);
  return Number.isFinite(value) ? money.format(value) : amount;
}
