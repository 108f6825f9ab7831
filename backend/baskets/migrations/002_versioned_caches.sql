-- Each cached field remembers the version of the stores aggregate that set it (platform cache).
-- Rows cached before count as fall-back reads (version 0): any event overrides them.
ALTER TABLE {schema}.stores_cache ADD COLUMN versions jsonb NOT NULL DEFAULT '{}';
UPDATE {schema}.stores_cache SET versions = '{"name": 0, "participating": 0}';
ALTER TABLE {schema}.products_cache ADD COLUMN versions jsonb NOT NULL DEFAULT '{}';
UPDATE {schema}.products_cache
   SET versions = '{"store_id": 0, "name": 0, "price": 0, "removed": 0}';
