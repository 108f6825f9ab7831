-- The mall (stores) and catalog (products) read models, updated in each command's transaction.
CREATE TABLE {schema}.stores (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    location      text NOT NULL,
    participating boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stores_participating ON {schema}.stores (id) WHERE participating;

CREATE TABLE {schema}.products (
    id          text PRIMARY KEY,
    store_id    text NOT NULL,
    name        text NOT NULL,
    description text NOT NULL,
    sku         text NOT NULL,
    price       numeric(14, 2) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_store ON {schema}.products (store_id);
