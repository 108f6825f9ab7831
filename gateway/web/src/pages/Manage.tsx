import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { persisted } from "../api/persisted";
import { ErrorNotice } from "../components/ErrorNotice";
import { useLiveCatalog } from "../components/LiveCatalog";
import {
  AddProductDocument,
  AllStoresDocument,
  DecreaseProductPriceDocument,
  IncreaseProductPriceDocument,
} from "../gql/graphql";
import { formatMoney } from "../live/labels";
import type { Product } from "../live/reducers";

/** A store manager's stores (an administrator's: all): add products, change prices. */
export function Manage({ storeIds }: { storeIds: string[] | null }) {
  const [stores] = useQuery({ query: persisted(AllStoresDocument) });
  const mine = (stores.data?.stores ?? []).filter((s) => storeIds === null || storeIds.includes(s.id));
  const [chosen, setChosen] = useState<string | null>(null);
  const storeId = chosen ?? mine[0]?.id ?? null;
  return (
    <div className="manage">
      <section aria-labelledby="my-stores">
        <h1 id="my-stores">{storeIds === null ? "Stores" : "My stores"}</h1>
        <ErrorNotice error={stores.error} />
        {stores.data && mine.length === 0 ? <p>You manage no store.</p> : null}
        <ul className="store-list">
          {mine.map((store) => (
            <li key={store.id}>
              <button
                type="button"
                className="store"
                aria-pressed={store.id === storeId}
                onClick={() => setChosen(store.id)}
              >
                <strong>{store.name}</strong>
                <span>{store.participating ? "Participating" : "Not participating"}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      {storeId ? <StoreAdmin key={storeId} storeId={storeId} /> : null}
    </div>
  );
}

function StoreAdmin({ storeId }: { storeId: string }) {
  const catalog = useLiveCatalog(storeId);
  const [adding, addProduct] = useMutation(persisted(AddProductDocument));
  const [form, setForm] = useState({ name: "", sku: "", price: "", description: "" });
  const [added, setAdded] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setAdded(null);
    const result = await addProduct({
      input: { storeId, ...form, idempotencyKey: crypto.randomUUID() },
    });
    if (!result.error && result.data) {
      setAdded(result.data.addProduct.product.name);
      setForm({ name: "", sku: "", price: "", description: "" });
    }
  }

  return (
    <div className="store-admin">
      <section aria-labelledby="catalog-admin">
        <h2 id="catalog-admin">Catalog</h2>
        <ErrorNotice error={catalog.error} />
        <table className="catalog-table">
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">SKU</th>
              <th scope="col">Price</th>
              <th scope="col">New price</th>
            </tr>
          </thead>
          <tbody>
            {(catalog.data ?? []).map((product) => (
              <PriceRow key={product.id} product={product} />
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="add-product">
        <h2 id="add-product">Add a product</h2>
        <ErrorNotice error={adding.error} />
        {added ? (
          <p className="notice notice-ok" role="status">
            {added} is in the catalog.
          </p>
        ) : null}
        <form onSubmit={submit} className="form">
          <label htmlFor="product-name">Name</label>
          <input
            id="product-name"
            required
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
          <label htmlFor="product-sku">SKU</label>
          <input
            id="product-sku"
            value={form.sku}
            onChange={(e) => setForm({ ...form, sku: e.target.value })}
          />
          <label htmlFor="product-price">Price</label>
          <input
            id="product-price"
            required
            inputMode="decimal"
            pattern="[0-9]+(\.[0-9]{1,2})?"
            value={form.price}
            onChange={(e) => setForm({ ...form, price: e.target.value })}
          />
          <label htmlFor="product-description">Description</label>
          <input
            id="product-description"
            value={form.description}
            onChange={(e) => setForm({ ...form, description: e.target.value })}
          />
          <button type="submit" className="primary" disabled={adding.fetching}>
            Add the product
          </button>
        </form>
      </section>
    </div>
  );
}

function PriceRow({ product }: { product: Product }) {
  const [price, setPrice] = useState("");
  const [increasing, increase] = useMutation(persisted(IncreaseProductPriceDocument));
  const [decreasing, decrease] = useMutation(persisted(DecreaseProductPriceDocument));
  const [notice, setNotice] = useState<string | null>(null);
  const inputId = `price-${product.id}`;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    const next = Number(price);
    const now = Number(product.price);
    if (!Number.isFinite(next) || next === now) {
      setNotice("Enter a price different from the current one.");
      return;
    }
    const change = next > now ? increase : decrease;
    const result = await change({
      input: { productId: product.id, price, idempotencyKey: crypto.randomUUID() },
    });
    if (!result.error) setPrice("");
  }

  return (
    <tr>
      <th scope="row">{product.name}</th>
      <td>{product.sku}</td>
      <td data-testid={`manage-price-${product.sku}`}>{formatMoney(product.price)}</td>
      <td>
        <form onSubmit={submit} className="inline">
          <label htmlFor={inputId} className="visually-hidden">
            New price of {product.name}
          </label>
          <input
            id={inputId}
            inputMode="decimal"
            pattern="[0-9]+(\.[0-9]{1,2})?"
            required
            value={price}
            onChange={(e) => setPrice(e.target.value)}
          />
          <button
            type="submit"
            disabled={increasing.fetching || decreasing.fetching}
            aria-label={`Change the price of ${product.name}`}
          >
            Change price
          </button>
        </form>
        {notice ? <span role="status">{notice}</span> : null}
        <ErrorNotice error={increasing.error ?? decreasing.error} />
      </td>
    </tr>
  );
}
