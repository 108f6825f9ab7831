import { useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { persisted } from "../api/persisted";
import { ErrorNotice } from "../components/ErrorNotice";
import {
  AssignShoppingListDocument,
  AvailableShoppingListsUpdatedDocument,
  BotDocument,
  CompleteShoppingListDocument,
} from "../gql/graphql";
import { applyAvailableLists, type ShoppingList } from "../live/reducers";

type Stops = ShoppingList["stops"];

function StopList({ stops }: { stops: Stops }) {
  return (
    <ol className="stops">
      {stops.map((stop) => (
        <li key={stop.storeId}>
          <strong>{stop.storeName}</strong> <small>{stop.storeLocation}</small>
          <ul>
            {stop.items.map((item) => (
              <li key={item.productId}>
                {item.quantity} × {item.productName}
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ol>
  );
}

/** A bot's console: the lists waiting for a bot (live), the one it works on, and completing it. */
export function Bot({ botId }: { botId: string | null }) {
  const [available] = useSubscription(
    { query: persisted(AvailableShoppingListsUpdatedDocument), variables: {} },
    (previous: ShoppingList[] | undefined, data) =>
      applyAvailableLists(previous, data.availableShoppingListsUpdated),
  );
  const [bot, refetchBot] = useQuery({
    query: persisted(BotDocument),
    variables: { id: botId ?? "" },
    pause: botId === null,
  });
  const [assigning, assign] = useMutation(persisted(AssignShoppingListDocument));
  const [completing, complete] = useMutation(persisted(CompleteShoppingListDocument));
  const [done, setDone] = useState<string | null>(null);
  const current = bot.data?.bot.shoppingList ?? null;
  const lists = available.data ?? [];
  const idle = bot.data?.bot.status === "IDLE";

  return (
    <div className="bot">
      <section aria-labelledby="current-heading">
        <h1 id="current-heading">{bot.data ? bot.data.bot.name : "Bot console"}</h1>
        <ErrorNotice error={bot.error ?? completing.error} />
        {done ? (
          <p className="notice notice-ok" role="status">
            Shopping list completed: the order is ready for its customer.
          </p>
        ) : null}
        {current && current.status === "ASSIGNED" ? (
          <div className="panel">
            <h2>
              Your shopping list, for order{" "}
              <span className="mono">{current.orderId.slice(0, 8)}</span>
            </h2>
            <StopList stops={current.stops} />
            <button
              type="button"
              className="primary"
              disabled={completing.fetching}
              onClick={async () => {
                const result = await complete({
                  input: { shoppingListId: current.id, idempotencyKey: `complete-${current.id}` },
                });
                if (!result.error) {
                  setDone(current.id);
                  refetchBot();
                }
              }}
            >
              Mark the list as completed
            </button>
          </div>
        ) : (
          <p>{botId ? "You are not working on a list." : "Sign in as a bot to take a list."}</p>
        )}
      </section>
      <section aria-labelledby="available-heading">
        <h2 id="available-heading">Available shopping lists</h2>
        <ErrorNotice error={available.error ?? assigning.error} />
        {available.data && lists.length === 0 ? <p>No list is waiting for a bot.</p> : null}
        <ul className="lists">
          {lists.map((list) => (
            <li key={list.id} className="panel">
              <h3>
                For order <span className="mono">{list.orderId.slice(0, 8)}</span>
              </h3>
              <StopList stops={list.stops} />
              {botId ? (
                <button
                  type="button"
                  disabled={!idle || assigning.fetching}
                  onClick={async () => {
                    setDone(null);
                    const result = await assign({
                      input: { shoppingListId: list.id, botId, idempotencyKey: `assign-${list.id}` },
                    });
                    if (!result.error) refetchBot();
                  }}
                >
                  Take this list
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
