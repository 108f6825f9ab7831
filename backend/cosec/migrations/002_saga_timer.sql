-- The saga timer looks for unfinished sagas whose command has waited too long: updated_at is
-- when the saga last sent a command.
CREATE INDEX sagas_waiting ON {schema}.sagas (updated_at) WHERE NOT done;
