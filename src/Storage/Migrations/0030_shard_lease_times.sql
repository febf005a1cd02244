-- When each shard's current lease was acquired and last renewed, for operators (`tgfleet shards`:
-- how long an owner has held a shard, how long since it renewed). Set by the database on every
-- write of a lease row, so whichever code acquires or renews leases keeps them true: a new epoch
-- is an acquisition, a later expiry under the same epoch a renewal.
ALTER TABLE shard_leases
    ADD COLUMN acquired_at timestamptz,
    ADD COLUMN renewed_at  timestamptz;

CREATE FUNCTION shard_leases_times() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.owner IS NULL THEN
        NEW.acquired_at := NULL;
        NEW.renewed_at := NULL;
    ELSIF TG_OP = 'INSERT' OR NEW.epoch IS DISTINCT FROM OLD.epoch OR NEW.owner IS DISTINCT FROM OLD.owner THEN
        NEW.acquired_at := now();
        NEW.renewed_at := now();
    ELSIF NEW.expires_at IS DISTINCT FROM OLD.expires_at THEN
        NEW.renewed_at := now();
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER shard_leases_times BEFORE INSERT OR UPDATE ON shard_leases
    FOR EACH ROW EXECUTE FUNCTION shard_leases_times();
