import { useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { useLocation } from "wouter";
import { persisted } from "../api/persisted";
import { ErrorNotice } from "../components/ErrorNotice";
import { useLiveCatalog } from "../components/LiveCatalog";
import {
  AddBasketItemDocument,
  AuthorizePaymentDocument,
  BasketDocument,
  CheckoutBasketDocument,
  RemoveBasketItemDocument,
  StartBasketDocument,
  StoresDocument,
  type BasketQuery,
} from "../gql/graphql";
import { formatMoney } from "../live/labels";

type Basket = BasketQuery["basket"];

const basketKey = (customerId: string) => `mallbots.basket.${customerId}`;

export function Shop({ customerId }: { customerId: string }) {
  const [stores] = useQuery({ query: persisted(StoresDocument) });
  const [storeId, setStoreId] = useState<string | null>(null);
  const list = stores.data?.stores ?? [];
  const selected = storeId ?? list[0]?.id ?? null;

  return (
    <div className="shop">
      <section aria-labelledby="stores-heading" className="stores">
        <h1 id="stores-heading">Stores</h1>
        <ErrorNotice error={stores.error} />
        {stores.fetching ? <p>Loading stores…</p> : null}
        {!stores.fetching && list.length === 0 ? <p>No store is open right now.</p> : null}
        <ul className="store-list">
          {list.map((store) => (
            <li key={store.id}>
              <button
                type="button"
                className="store"
                aria-pressed={store.id === selected}
                onClick={() => setStoreId(store.id)}
              >
                <strong>{store.name}</strong>
                <span>{store.location}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      <BasketArea customerId={customerId} storeId={selected} />
    </div>
  );
}

function BasketArea({ customerId, storeId }: { customerId: string; storeId: string | null }) {
  const [basketId, setBasketId] = useState<string | null>(() =>
    sessionStorage.getItem(basketKey(customerId)),
  );
  const [basket, setBasket] = useState<Basket | null>(null);
  const [error, setError] = useState<Parameters<typeof ErrorNotice>[0]["error"]>(null);
  const [busy, setBusy] = useState(false);
  const [, navigate] = useLocation();
  const [stored] = useQuery({
    query: persisted(BasketDocument),
    variables: { id: basketId ?? "" },
    pause: basketId === null || basket !== null,
  });
  const [, startBasket] = useMutation(persisted(StartBasketDocument));
  const [, addItem] = useMutation(persisted(AddBasketItemDocument));
  const [, removeItem] = useMutation(persisted(RemoveBasketItemDocument));
  const [, authorize] = useMutation(persisted(AuthorizePaymentDocument));
  const [, checkout] = useMutation(persisted(CheckoutBasketDocument));

  useEffect(() => {
    const found = stored.data?.basket;
    if (!found) return;
    if (found.status === "OPEN") setBasket(found);
    else forget();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stored.data]);

  function remember(id: string) {
    sessionStorage.setItem(basketKey(customerId), id);
    setBasketId(id);
  }

  function forget() {
    sessionStorage.removeItem(basketKey(customerId));
    setBasketId(null);
    setBasket(null);
  }

  async function run(step: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await step();
    } finally {
      setBusy(false);
    }
  }

  const add = (productId: string) =>
    run(async () => {
      let id = basket?.id ?? null;
      if (id === null) {
        const started = await startBasket({ input: { customerId } });
        if (started.error || !started.data) return setError(started.error);
        setBasket(started.data.startBasket.basket);
        id = started.data.startBasket.basket.id;
        remember(id);
      }
      const added = await addItem({
        input: { basketId: id, productId, quantity: 1, idempotencyKey: crypto.randomUUID() },
      });
      if (added.error || !added.data) return setError(added.error);
      setBasket(added.data.addBasketItem.basket);
    });

  const remove = (productId: string) =>
    run(async () => {
      if (!basket) return;
      const removed = await removeItem({
        input: { basketId: basket.id, productId, quantity: 1, idempotencyKey: crypto.randomUUID() },
      });
      if (removed.error || !removed.data) return setError(removed.error);
      setBasket(removed.data.removeBasketItem.basket);
    });

  const placeOrder = () =>
    run(async () => {
      if (!basket) return;
      const payment = await authorize({
        input: { customerId, amount: basket.total, idempotencyKey: `pay-${basket.id}` },
      });
      if (payment.error || !payment.data) return setError(payment.error);
      const done = await checkout({
        input: {
          basketId: basket.id,
          paymentId: payment.data.authorizePayment.payment.id,
          idempotencyKey: `checkout-${basket.id}`,
        },
      });
      if (done.error || !done.data) return setError(done.error);
      forget();
      navigate(`/orders?placed=${encodeURIComponent(basket.id)}`);
    });

  return (
    <>
      {storeId ? <Catalog key={storeId} storeId={storeId} onAdd={add} busy={busy} /> : null}
      <section aria-labelledby="basket-heading" className="basket">
        <h2 id="basket-heading">Basket</h2>
        <ErrorNotice error={error ?? stored.error} />
        {!basket || basket.items.length === 0 ? (
          <p>Your basket is empty.</p>
        ) : (
          <>
            <ul className="basket-items">
              {basket.items.map((item) => (
                <li key={item.productId}>
                  <span>
                    {item.quantity} × {item.productName}
                    <small> ({item.storeName})</small>
                  </span>
                  <span>{formatMoney(item.price)}</span>
                  <button
                    type="button"
                    className="small"
                    onClick={() => void remove(item.productId)}
                    disabled={busy}
                    aria-label={`Remove one ${item.productName}`}
                  >
                    −
                  </button>
                </li>
              ))}
            </ul>
            <p className="total">
              Total <strong data-testid="basket-total">{formatMoney(basket.total)}</strong>
            </p>
            <button
              type="button"
              className="primary"
              onClick={() => void placeOrder()}
              disabled={busy}
            >
              Pay and check out
            </button>
          </>
        )}
      </section>
    </>
  );
}

function Catalog({
  storeId,
  onAdd,
  busy,
}: {
  storeId: string;
  onAdd: (productId: string) => Promise<void>;
  busy: boolean;
}) {
  const catalog = useLiveCatalog(storeId);
  const products = catalog.data ?? [];
  return (
    <section aria-labelledby="catalog-heading" className="catalog">
      <h2 id="catalog-heading">Catalog</h2>
      <ErrorNotice error={catalog.error} />
      {!catalog.data && !catalog.error ? <p>Loading the catalog…</p> : null}
      {catalog.data && products.length === 0 ? <p>This store has no products yet.</p> : null}
      <ul className="products">
        {products.map((product) => (
          <li key={product.id} className="product">
            <div>
              <strong>{product.name}</strong>
              {product.description ? <p>{product.description}</p> : null}
            </div>
            <span className="price" data-testid={`price-${product.sku}`}>
              {formatMoney(product.price)}
            </span>
            <button
              type="button"
              onClick={() => void onAdd(product.id)}
              disabled={busy}
              aria-label={`Add ${product.name} to the basket`}
            >
              Add to basket
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
