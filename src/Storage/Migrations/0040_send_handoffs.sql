-- Sends finish asynchronously (docs/messaging.md, "Sends finish asynchronously"): the broker
-- delivery is acknowledged once the 'sending' row is durable and the message is handed to TDLib;
-- the outcome is recorded and published later, by the worker that holds the shard's lease.
--   shard, epoch   the lease the row was last written under: an outcome is recorded only while that
--                  epoch is still the shard's (a fenced or paused owner cannot record any more), and
--                  the shard's next owner resolves the rows of earlier epochs that are still open;
--   chat_id,       where the message went and a SHA-256 of its text as TDLib sent it: the next owner
--   text_hash      looks for it in the chat to tell "sent" from "unknown";
--   unpublished    the outcome is recorded and its event not yet published (an outbox flag): the
--                  next owner publishes it if this owner died in between.
-- Rows written before this migration have no shard and are resolved by their next delivery.
ALTER TABLE command_journal
    ADD COLUMN shard       int,
    ADD COLUMN epoch       bigint,
    ADD COLUMN chat_id     bigint,
    ADD COLUMN text_hash   bytea,
    ADD COLUMN unpublished boolean NOT NULL DEFAULT false;

CREATE INDEX command_journal_open ON command_journal (shard) WHERE state = 'sending' OR unpublished;
