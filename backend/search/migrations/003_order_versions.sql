-- The order's version after the last change applied (from the producer's aggregate_version
-- header): later changes are told by it rather than by the producers' clocks. Rows indexed
-- before count as version 0: any versioned change overrides them.
ALTER TABLE {schema}.orders ADD COLUMN version bigint NOT NULL DEFAULT 0;
