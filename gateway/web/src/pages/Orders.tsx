import { Link, useSearch } from "wouter";
import { ErrorNotice } from "../components/ErrorNotice";
import { useCustomerOrders } from "../components/useCustomerOrders";
import { formatMoney, STATUS_LABELS } from "../live/labels";

export function Orders({ customerId }: { customerId: string }) {
  const orders = useCustomerOrders(customerId);
  const placed = new URLSearchParams(useSearch()).get("placed");
  const list = orders.data ?? [];
  return (
    <section aria-labelledby="orders-heading">
      <h1 id="orders-heading">My orders</h1>
      {placed ? (
        <p className="notice notice-ok" role="status">
          Thank you: your order is placed. It appears below as soon as the mall has created it.
        </p>
      ) : null}
      <ErrorNotice error={orders.error} />
      {!orders.data && !orders.error ? <p>Loading your orders…</p> : null}
      {orders.data && list.length === 0 ? <p>You have no orders yet.</p> : null}
      <ul className="orders">
        {list.map((order) => (
          <li key={order.id} className={order.basketId === placed ? "order just-placed" : "order"}>
            <Link href={`/orders/${order.id}`}>
              Order of {new Date(order.createdAt).toLocaleString("en-US")}
            </Link>
            <span className={`status status-${order.status.toLowerCase()}`}>
              {STATUS_LABELS[order.status]}
            </span>
            <span>{formatMoney(order.total)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
