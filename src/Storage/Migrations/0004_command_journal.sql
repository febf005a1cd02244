-- The idempotency journal: one row per command id. A redelivered SendMessage finds its row and
-- re-publishes the recorded outcome instead of sending again. 'sending' is written durably
-- before the message is handed to Telegram, so a crash between the two leaves 'sending', which
-- a redelivery reports as an unknown outcome rather than risk a second send.
CREATE TABLE command_journal (
    command_id  uuid        PRIMARY KEY,
    account_id  text        NOT NULL,
    command     text        NOT NULL,
    state       text        NOT NULL CHECK (state IN ('accepted', 'sending', 'succeeded', 'failed', 'unknown')),
    outcome     jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX command_journal_created ON command_journal (created_at);
