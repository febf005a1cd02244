-- Fencing at the network edge (docs/fencing.md). A worker's egress gate records here that it has
-- closed every connection of a lease epoch: `closed_epoch` on the lease row (the highest epoch of
-- the shard whose connections are known closed) and one row in `lease_fences` per epoch, for
-- operators. A lease whose current epoch is recorded closed can no longer be renewed (the gate
-- writes closed_epoch only once the lease expired or moved on, in the same row update that a
-- renewal would have to win). The next owner of an EXPIRED lease starts its accounts at once when
-- the previous epoch is recorded closed, else after the disconnect delay: the acquisition keeps
-- what it replaced (`taken_from`: the previous owner of an expired lease, NULL after a release;
-- `previous_expired_at`: when that lease expired).
ALTER TABLE shard_leases
    ADD COLUMN closed_epoch        bigint      NOT NULL DEFAULT 0,
    ADD COLUMN taken_from          text,
    ADD COLUMN previous_expired_at timestamptz;

CREATE TABLE lease_fences (
    shard       integer     NOT NULL,
    epoch       bigint      NOT NULL,
    worker_id   text        NOT NULL,
    connections integer     NOT NULL,
    closed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (shard, epoch)
);
