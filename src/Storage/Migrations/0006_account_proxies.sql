-- Proxies set for an account with SetAccountProxy (ClearAccountProxy deletes the row). The
-- password (SOCKS5, HTTP) or secret (MTProto) is AES-256-GCM encrypted with the session keys
-- (key_id names the key, as in sessions). Accounts without a row use the configured proxy pool,
-- when there is one. Failover to a pool proxy is a worker's run-time decision and not stored:
-- a restarted account starts on its own proxy again, and moves again if it is still down.
CREATE TABLE account_proxies (
    account_id text        PRIMARY KEY REFERENCES accounts (account_id) ON DELETE CASCADE,
    kind       text        NOT NULL CHECK (kind IN ('socks5', 'http', 'mtproto')),
    server     text        NOT NULL,
    port       integer     NOT NULL CHECK (port BETWEEN 1 AND 65535),
    username   text,
    key_id     text,
    secret     bytea,
    updated_at timestamptz NOT NULL DEFAULT now()
);
