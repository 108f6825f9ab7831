-- The order read model, and the caches that give its items and customer their names.
CREATE TABLE {schema}.orders (
    order_id      text PRIMARY KEY,
    customer_id   text NOT NULL,
    customer_name text NOT NULL,
    items         jsonb NOT NULL,
    total         numeric(14, 2) NOT NULL,
    status        text NOT NULL,
    product_ids   text[] NOT NULL,
    store_ids     text[] NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
-- Searches page newest first by (created_at, order_id).
CREATE INDEX orders_newest ON {schema}.orders (created_at, order_id);
CREATE INDEX orders_customer ON {schema}.orders (customer_id, created_at, order_id);
CREATE INDEX orders_stores ON {schema}.orders USING gin (store_ids);
CREATE INDEX orders_products ON {schema}.orders USING gin (product_ids);

CREATE TABLE {schema}.customers_cache (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {schema}.stores_cache (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {schema}.products_cache (
    id         text PRIMARY KEY,
    store_id   text NOT NULL,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
