-- Saga instances. The row changes in the same transaction as the inbox row of the message that
-- moved it and the outbox row of the command it sends. history: [{step, direction, command,
-- outcome, at, error}], one entry per command sent, in order.
CREATE TABLE {schema}.sagas (
    id           text NOT NULL,
    name         text NOT NULL,
    data         jsonb NOT NULL,
    step         integer NOT NULL,
    done         boolean NOT NULL DEFAULT false,
    compensating boolean NOT NULL DEFAULT false,
    history      jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, name)
);
