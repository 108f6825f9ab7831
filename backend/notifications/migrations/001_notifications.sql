-- The customers this module may text: fed by customer events, or read through to the customers
-- API when an order event names a customer not seen yet.
CREATE TABLE {schema}.customers_cache (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    sms_number text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every notification sent. (order_id, kind) is unique: an order event delivered twice, even
-- under another message id, sends one SMS.
CREATE TABLE {schema}.notifications (
    position    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          text NOT NULL UNIQUE,
    customer_id text NOT NULL,
    order_id    text NOT NULL,
    kind        text NOT NULL
                CHECK (kind IN ('order_created', 'order_ready', 'order_canceled', 'order_completed')),
    sms_number  text NOT NULL,
    message     text NOT NULL,
    sent_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, kind)
);
CREATE INDEX notifications_customer ON {schema}.notifications (customer_id, sent_at DESC, position DESC);
