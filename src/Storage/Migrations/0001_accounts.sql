-- Accounts the fleet runs: one row per upstream-chosen account id. The shard is derived from the
-- id (TgFleet.Contracts.Addressing.ShardAddressing) and stored for set-based queries per shard.
-- A shipped migration is never edited: change the schema with a new, higher-numbered file.
CREATE TABLE accounts (
    account_id   text        PRIMARY KEY,
    shard        integer     NOT NULL CHECK (shard >= 0),
    phone_masked text,
    status       text        NOT NULL DEFAULT 'new',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX accounts_shard ON accounts (shard);
