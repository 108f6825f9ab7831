-- Why the create-order saga rejected an order (the step that failed and its error).
ALTER TABLE {schema}.orders ADD COLUMN rejection_reason text NOT NULL DEFAULT '';
