-- Encrypted TDLib sessions (the client's database directory, AES-256-GCM; key_id names the key so
-- keys can rotate). A write must carry the epoch of the shard's current, unexpired lease: the
-- database refuses any other, so a stale owner can never overwrite its successor's session.
CREATE TABLE sessions (
    account_id text        PRIMARY KEY REFERENCES accounts (account_id) ON DELETE CASCADE,
    shard      integer     NOT NULL,
    epoch      bigint      NOT NULL,
    key_id     text        NOT NULL,
    blob       bytea       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION sessions_fence() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    current_epoch   bigint;
    current_expires timestamptz;
BEGIN
    SELECT l.epoch, l.expires_at INTO current_epoch, current_expires
    FROM shard_leases l WHERE l.shard = NEW.shard FOR SHARE;
    IF current_epoch IS NULL OR current_epoch <> NEW.epoch OR current_expires <= now() THEN
        RAISE EXCEPTION 'stale session write for shard %: epoch % is not the live lease (current epoch %, expires %)',
            NEW.shard, NEW.epoch, current_epoch, current_expires
            USING ERRCODE = 'TGF01';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER sessions_fence BEFORE INSERT OR UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_fence();
