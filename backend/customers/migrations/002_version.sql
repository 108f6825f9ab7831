-- The customer's version: the number of events it has published. Integration events carry it
-- (envelope metadata aggregate_version) so that other modules' copies converge in any order.
ALTER TABLE {schema}.customers ADD COLUMN version bigint NOT NULL DEFAULT 1;
