-- Shard ownership (ARCHITECTURE.md, "Sharding and ownership"). Workers heartbeat into `workers`;
-- each virtual shard has one lease row. Expiry times come from the database clock (now()), so
-- every worker judges leases by the same clock. The epoch grows by one at every acquisition and
-- is the fencing token of every session write (see 0003_sessions.sql).
CREATE TABLE workers (
    worker_id    text        PRIMARY KEY,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    draining     boolean     NOT NULL DEFAULT false
);

CREATE TABLE shard_leases (
    shard      integer     PRIMARY KEY CHECK (shard >= 0),
    owner      text,
    epoch      bigint      NOT NULL DEFAULT 0,
    expires_at timestamptz NOT NULL DEFAULT '-infinity'
);
