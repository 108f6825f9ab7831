-- Platform tables, created in every module's schema. {schema} is the module's schema name.
CREATE SCHEMA IF NOT EXISTS {schema};

-- One row per event-sourced stream: its current version. The append updates it with an
-- expected-version guard, which serialises writers of one stream and refuses any expected
-- version that is not the current one (ahead or behind).
CREATE TABLE IF NOT EXISTS {schema}.streams (
    stream_type text NOT NULL,
    stream_id   text NOT NULL,
    version     integer NOT NULL CHECK (version > 0),
    PRIMARY KEY (stream_type, stream_id)
);

-- transaction_id is the writer's transaction id: readers of the global feed only read below the
-- oldest transaction still running, so a position that commits late is never skipped.
CREATE TABLE IF NOT EXISTS {schema}.events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_type     text NOT NULL,
    stream_id       text NOT NULL,
    stream_version  integer NOT NULL,
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    schema_version  integer NOT NULL,
    payload         jsonb NOT NULL,
    metadata        jsonb NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_type, stream_id, stream_version)
);
CREATE INDEX IF NOT EXISTS events_feed ON {schema}.events (transaction_id, global_position);

CREATE TABLE IF NOT EXISTS {schema}.snapshots (
    stream_type    text NOT NULL,
    stream_id      text NOT NULL,
    stream_version integer NOT NULL,
    schema_version integer NOT NULL,
    state          jsonb NOT NULL,
    PRIMARY KEY (stream_type, stream_id)
);

-- Messages waiting for the relay. A row is deleted once Redis has it.
CREATE TABLE IF NOT EXISTS {schema}.outbox (
    position   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id uuid NOT NULL,
    topic      text NOT NULL,
    message    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Messages this module has handled: a duplicate delivery finds its id here and is skipped.
CREATE TABLE IF NOT EXISTS {schema}.inbox (
    message_id  uuid PRIMARY KEY,
    topic       text NOT NULL,
    name        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Where each projection of this module has read the global feed up to.
CREATE TABLE IF NOT EXISTS {schema}.checkpoints (
    name           text PRIMARY KEY,
    transaction_id xid8 NOT NULL DEFAULT '0',
    position       bigint NOT NULL DEFAULT 0
);

-- Commands already executed with a client idempotency key, and what they returned.
CREATE TABLE IF NOT EXISTS {schema}.idempotency (
    key        text PRIMARY KEY,
    result     jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
