import { useSubscription } from "urql";
import { Link } from "wouter";
import { persisted } from "../api/persisted";
import { ErrorNotice } from "../components/ErrorNotice";
import { OrderUpdatedDocument } from "../gql/graphql";
import { formatMoney, sagaStepLabel, STATUS_LABELS } from "../live/labels";
import { applyOrderUpdate, HAPPY_PATH, type OrderTimeline } from "../live/reducers";

/** One order, followed live through `orderUpdated`: its status and its saga's steps. */
export function Order({ orderId }: { orderId: string }) {
  const [result] = useSubscription(
    { query: persisted(OrderUpdatedDocument), variables: { orderId } },
    (previous: OrderTimeline | undefined, data) => applyOrderUpdate(previous, data.orderUpdated),
  );
  const timeline = result.data;
  if (!timeline) {
    return (
      <section aria-labelledby="order-heading">
        <h1 id="order-heading">Order</h1>
        <ErrorNotice error={result.error} />
        {result.error ? null : <p>Loading the order…</p>}
      </section>
    );
  }
  const { order, statuses } = timeline;
  const reached = HAPPY_PATH.indexOf(order.status);
  const path = reached >= 0 ? HAPPY_PATH : [...statuses];
  return (
    <section aria-labelledby="order-heading" className="order-page">
      <p>
        <Link href="/orders">← My orders</Link>
      </p>
      <h1 id="order-heading">
        Order <span className="mono">{order.id.slice(0, 8)}</span>
      </h1>
      <ErrorNotice error={result.error} />
      <p className="order-status">
        Status:{" "}
        <strong data-testid="order-status" className={`status status-${order.status.toLowerCase()}`}>
          {STATUS_LABELS[order.status]}
        </strong>
      </p>
      <ol className="progress" aria-label="Progress">
        {path.map((status, index) => {
          const done = reached >= 0 ? index <= reached : true;
          return (
            <li key={status} className={done ? "done" : ""} aria-current={status === order.status ? "step" : undefined}>
              {STATUS_LABELS[status]}
            </li>
          );
        })}
      </ol>
      <div className="columns">
        <section aria-labelledby="items-heading">
          <h2 id="items-heading">Items</h2>
          <ul>
            {order.items.map((item) => (
              <li key={item.productId}>
                {item.quantity} × {item.productName} ({item.storeName}) — {formatMoney(item.price)}
              </li>
            ))}
          </ul>
          <p className="total">
            Total <strong>{formatMoney(order.total)}</strong>
          </p>
        </section>
        <section aria-labelledby="saga-heading">
          <h2 id="saga-heading">What the mall did</h2>
          {order.saga ? (
            <ol className="saga" data-testid="saga-steps">
              {order.saga.history.map((step) => (
                <li key={`${step.direction}-${step.step}-${step.command}`} className={`outcome-${step.outcome.toLowerCase()}`}>
                  {sagaStepLabel(step.command)}: {step.outcome.toLowerCase()}
                  {step.error ? <small> ({step.error})</small> : null}
                </li>
              ))}
            </ol>
          ) : (
            <p>The order is being set up…</p>
          )}
        </section>
        <section aria-labelledby="log-heading">
          <h2 id="log-heading">Updates received</h2>
          <ol className="status-log" data-testid="status-log">
            {statuses.map((status, index) => (
              <li key={`${index}-${status}`}>{STATUS_LABELS[status]}</li>
            ))}
          </ol>
        </section>
      </div>
    </section>
  );
}
