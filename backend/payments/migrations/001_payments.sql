-- Authorized payments and invoices (not event-sourced): each command updates its rows and writes
-- its integration events to the outbox in the same transaction.
CREATE TABLE {schema}.payments (
    id          text PRIMARY KEY,
    customer_id text NOT NULL,
    amount      numeric(14, 2) NOT NULL CHECK (amount > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_customer ON {schema}.payments (customer_id);

-- An invoice's id is the id of the order it bills.
CREATE TABLE {schema}.invoices (
    id         text PRIMARY KEY,
    order_id   text NOT NULL,
    amount     numeric(14, 2) NOT NULL CHECK (amount >= 0),
    status     text NOT NULL CHECK (status IN ('pending', 'paid', 'canceled')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoices_order ON {schema}.invoices (order_id);
