-- Outbox rows that Redis refused for good (a command error, not an outage): parked with the
-- error instead of blocking the rows behind them. An operator moves them back to the outbox.
CREATE TABLE IF NOT EXISTS {schema}.outbox_parked (
    position   bigint PRIMARY KEY,
    message_id uuid NOT NULL,
    topic      text NOT NULL,
    message    text NOT NULL,
    created_at timestamptz NOT NULL,
    error      text NOT NULL,
    parked_at  timestamptz NOT NULL DEFAULT now()
);

-- Inbox rows and idempotency keys are pruned by age.
CREATE INDEX IF NOT EXISTS inbox_received_at ON {schema}.inbox (received_at);
CREATE INDEX IF NOT EXISTS idempotency_created_at ON {schema}.idempotency (created_at);
