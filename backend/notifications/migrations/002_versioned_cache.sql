-- Each cached field remembers the version of the customer that set it (platform cache). Rows
-- cached before count as fall-back reads (version 0): any event overrides them.
ALTER TABLE {schema}.customers_cache ADD COLUMN versions jsonb NOT NULL DEFAULT '{}';
UPDATE {schema}.customers_cache SET versions = '{"name": 0, "sms_number": 0}';
