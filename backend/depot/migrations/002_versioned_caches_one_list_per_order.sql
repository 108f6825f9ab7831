-- Each cached field remembers the version of the stores aggregate that set it (platform cache);
-- rows cached before count as fall-back reads (version 0): any event overrides them. A removed
-- product stays as a tombstone, so that a fall-back read racing with the removal cannot bring
-- it back.
ALTER TABLE {schema}.stores_cache ADD COLUMN versions jsonb NOT NULL DEFAULT '{}';
UPDATE {schema}.stores_cache SET versions = '{"name": 0, "location": 0}';
ALTER TABLE {schema}.products_cache ADD COLUMN removed boolean NOT NULL DEFAULT false;
ALTER TABLE {schema}.products_cache ADD COLUMN versions jsonb NOT NULL DEFAULT '{}';
UPDATE {schema}.products_cache SET versions = '{"store_id": 0, "name": 0}';

-- One live shopping list per order: create_list checks, then inserts; two deliveries of the
-- command racing (in two processes) cannot both insert.
CREATE UNIQUE INDEX shopping_lists_one_live_per_order ON {schema}.shopping_lists (order_id)
    WHERE status <> 'canceled';
