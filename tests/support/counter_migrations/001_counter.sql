-- Test module: what its consumer did (one row per effect) and a projection of totals.
CREATE TABLE {schema}.effects (
    message_id uuid NOT NULL,
    counter_id text NOT NULL,
    total      integer NOT NULL
);
CREATE TABLE {schema}.totals (
    counter_id text PRIMARY KEY,
    total      integer NOT NULL,
    events     integer NOT NULL
);
