-- What the fleet knows of an account beyond its login: its Telegram user id, why its status is
-- what it is, until when Telegram asked it to pause (FLOOD_WAIT) and until when it only messages
-- contacts (PEER_FLOOD). The limits outlive a worker: a shard's next owner honours them.
-- accounts.status is one of
--   new, awaiting_code, awaiting_password, failed           (login not finished)
--   online, connecting, flood_wait, limited                   (logged in)
--   logged_out, banned                                        (a new login is needed)
-- and maps to the contract's AccountStatus as docs/accounts.md says.
ALTER TABLE accounts
    ADD COLUMN telegram_user_id bigint,
    ADD COLUMN status_reason    text,
    ADD COLUMN flood_wait_until timestamptz,
    ADD COLUMN limited_until    timestamptz;

UPDATE accounts SET status = 'online' WHERE status = 'ready';

CREATE INDEX accounts_status ON accounts (status, account_id);

-- Recipients who asked not to be messaged (a reply saying STOP or unsubscribe). Fleet-wide: no
-- account sends to an opted-out user again; SendMessage to one fails RECIPIENT_OPTED_OUT.
CREATE TABLE opt_outs (
    telegram_user_id bigint      PRIMARY KEY,
    account_id       text        NOT NULL,
    reason           text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
