-- Shopping lists (a plain table: the depot is not event-sourced), bots, and the caches of the
-- stores module's data that a list needs (store name and location, product name).
CREATE TABLE {schema}.shopping_lists (
    id              text PRIMARY KEY,
    order_id        text NOT NULL,
    stops           jsonb NOT NULL,
    assigned_bot_id text,
    status          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shopping_lists_order ON {schema}.shopping_lists (order_id);
CREATE INDEX shopping_lists_available ON {schema}.shopping_lists (created_at, id)
    WHERE status = 'available';
-- A bot works on one list at a time, whatever the application does.
CREATE UNIQUE INDEX shopping_lists_one_per_bot ON {schema}.shopping_lists (assigned_bot_id)
    WHERE status = 'assigned';

CREATE TABLE {schema}.bots (
    id               text PRIMARY KEY,
    name             text NOT NULL,
    status           text NOT NULL,
    shopping_list_id text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {schema}.stores_cache (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    location   text NOT NULL,
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
