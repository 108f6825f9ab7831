import { useSubscription } from "urql";
import { persisted } from "../api/persisted";
import { CustomerOrdersUpdatedDocument } from "../gql/graphql";
import { applyCustomerOrders, type OrderSummary } from "../live/reducers";

/** A customer's orders, newest first, kept current by `customerOrdersUpdated`. */
export function useCustomerOrders(customerId: string) {
  const [result] = useSubscription(
    { query: persisted(CustomerOrdersUpdatedDocument), variables: { customerId } },
    (previous: OrderSummary[] | undefined, data) =>
      applyCustomerOrders(previous, data.customerOrdersUpdated),
  );
  return result;
}
