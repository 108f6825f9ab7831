-- The orders read model (one row per order), written in the same transaction as the order's
-- events: it serves GET /api/ordering/{id} and the customer's order list.
CREATE TABLE {schema}.orders (
    id          text PRIMARY KEY,
    customer_id text NOT NULL,
    payment_id  text NOT NULL,
    basket_id   text NOT NULL,
    invoice_id  text NOT NULL DEFAULT '',
    shopping_id text NOT NULL DEFAULT '',
    items       jsonb NOT NULL,
    total       numeric(14, 2) NOT NULL,
    status      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer ON {schema}.orders (customer_id, created_at DESC);
