-- Local copies of the stores module's stores and products, fed by its integration events and
-- filled on a miss from its HTTP API. A removed product stays as a tombstone (removed = true), so
-- that a late fall-back read cannot bring it back.
CREATE TABLE {schema}.stores_cache (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    participating boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {schema}.products_cache (
    id         text PRIMARY KEY,
    store_id   text NOT NULL,
    name       text NOT NULL,
    price      numeric(14, 2) NOT NULL,
    removed    boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
