import { useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { persisted } from "../api/persisted";
import { ErrorNotice } from "../components/ErrorNotice";
import { useCustomerOrders } from "../components/useCustomerOrders";
import { InvoiceDocument, PayInvoiceDocument } from "../gql/graphql";
import { formatMoney, STATUS_LABELS } from "../live/labels";
import type { OrderSummary } from "../live/reducers";

/** The bills of the customer's ready orders: paying one completes its order. */
export function Invoices({ customerId }: { customerId: string }) {
  const orders = useCustomerOrders(customerId);
  const billed = (orders.data ?? []).filter((o) => o.status === "READY" || o.status === "COMPLETED");
  return (
    <section aria-labelledby="invoices-heading">
      <h1 id="invoices-heading">Invoices</h1>
      <ErrorNotice error={orders.error} />
      {orders.data && billed.length === 0 ? (
        <p>No invoice yet: an order is billed once a bot has fetched it.</p>
      ) : null}
      <ul className="invoices">
        {billed.map((order) => (
          <InvoiceRow key={order.id} order={order} />
        ))}
      </ul>
    </section>
  );
}

function InvoiceRow({ order }: { order: OrderSummary }) {
  const [invoice, refetch] = useQuery({
    query: persisted(InvoiceDocument),
    variables: { id: order.id },
  });
  // The invoice is written by the payments module right after the order is ready: until then
  // it is NOT_FOUND, so ask again shortly.
  const notYet = invoice.error?.graphQLErrors.some((e) => e.extensions?.code === "NOT_FOUND");
  useEffect(() => {
    if (!notYet) return;
    const timer = setTimeout(() => refetch(), 1000);
    return () => clearTimeout(timer);
  }, [notYet, refetch]);
  const [paying, pay] = useMutation(persisted(PayInvoiceDocument));
  const [paid, setPaid] = useState(false);
  const status = paid || order.status === "COMPLETED" ? "PAID" : invoice.data?.invoice.status;
  return (
    <li className="invoice">
      <span>
        Order <span className="mono">{order.id.slice(0, 8)}</span> ·{" "}
        {STATUS_LABELS[order.status]}
      </span>
      <span>{invoice.data ? formatMoney(invoice.data.invoice.amount) : "…"}</span>
      {status === "PENDING" ? (
        <button
          type="button"
          className="primary"
          disabled={paying.fetching}
          onClick={async () => {
            const result = await pay({
              input: { invoiceId: order.id, idempotencyKey: `pay-invoice-${order.id}` },
            });
            if (!result.error) setPaid(true);
          }}
        >
          Pay {invoice.data ? formatMoney(invoice.data.invoice.amount) : ""}
        </button>
      ) : (
        <span className="status status-completed">{status === "PAID" ? "Paid" : status}</span>
      )}
      {notYet ? <span>Preparing the invoice…</span> : null}
      <ErrorNotice error={paying.error ?? (notYet ? null : invoice.error)} />
    </li>
  );
}
