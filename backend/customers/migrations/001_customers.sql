-- The customers' state (not event-sourced): each command updates its row and writes its
-- integration events to the outbox in the same transaction.
CREATE TABLE {schema}.customers (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    sms_number text NOT NULL,
    enabled    boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
