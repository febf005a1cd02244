-- A hash of the command's body beside its id: a CommandId reused with a different body is
-- refused (COMMAND_ID_REUSED) instead of being answered with the first command's outcome.
-- Rows written before this column existed have none and are not compared.
ALTER TABLE command_journal ADD COLUMN body_hash bytea;
