-- P3: an authorization belongs to its customer and is consumed by exactly one order; an invoice
-- knows its customer, so that only they (or an admin) can read and pay it.
ALTER TABLE {schema}.payments ADD COLUMN order_id text;
CREATE UNIQUE INDEX payments_order ON {schema}.payments (order_id) WHERE order_id IS NOT NULL;
ALTER TABLE {schema}.invoices ADD COLUMN customer_id text;
