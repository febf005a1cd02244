-- Campaigns (docs/campaigns.md): a campaign, its senders with their pacing state, one delivery per
-- recipient, and the recipient batches already imported (their idempotency record).
-- A campaign's counts by delivery state are kept on its row, changed by the same statement that
-- moves deliveries, so progress and metrics never count millions of rows.
CREATE TABLE campaigns (
    campaign_id       uuid        PRIMARY KEY,
    start_command_id  uuid        NOT NULL,
    name              text        NOT NULL,
    state             text        NOT NULL CHECK (state IN ('scheduled', 'running', 'paused', 'completed', 'cancelled')),
    paused_reason     text,
    end_reason        text,
    template          text        NOT NULL,
    format            integer     NOT NULL,
    silent            boolean     NOT NULL,
    min_interval_ms   integer     NOT NULL,
    jitter_ms         integer     NOT NULL,
    daily_cap         integer     NOT NULL,
    quiet_start       time,
    quiet_end         time,
    time_zone         text,
    start_at          timestamptz NOT NULL,
    deadline          timestamptz,
    max_attempts      integer     NOT NULL,
    total             bigint      NOT NULL DEFAULT 0,
    pending           bigint      NOT NULL DEFAULT 0,
    dispatched        bigint      NOT NULL DEFAULT 0,
    sent              bigint      NOT NULL DEFAULT 0,
    failed            bigint      NOT NULL DEFAULT 0,
    skipped           bigint      NOT NULL DEFAULT 0,
    unknown           bigint      NOT NULL DEFAULT 0,
    unsent            bigint      NOT NULL DEFAULT 0,
    last_batch_at     timestamptz,
    progress_sent     bigint      NOT NULL DEFAULT 0,
    progress_at       timestamptz,
    progress_ended    bigint      NOT NULL DEFAULT 0,
    rate              double precision NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL,
    ended_at          timestamptz
);

CREATE INDEX campaigns_active ON campaigns (state) WHERE state IN ('scheduled', 'running', 'paused');

-- A sender's pacing in one campaign: when it may send next (interval ± jitter, FLOOD_WAIT), until
-- when it is out after PEER_FLOOD, and how many it dispatched on its cap's day.
CREATE TABLE campaign_senders (
    campaign_id   uuid        NOT NULL REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
    account_id    text        NOT NULL,
    position      integer     NOT NULL,
    next_send_at  timestamptz NOT NULL,
    limited_until timestamptz,
    cap_day       integer,      -- DateOnly.DayNumber of the cap's day
    sent_on_day   integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, account_id)
);

-- state: pending (due at due_at), dispatched (SendMessage sent under command_id, no outcome yet),
-- sent, failed, skipped (opted out), unknown (OUTCOME_UNKNOWN), unsent (cancelled, deadline).
CREATE TABLE campaign_deliveries (
    delivery_id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id     uuid        NOT NULL REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
    recipient_kind  smallint    NOT NULL,
    recipient_value text        NOT NULL,
    variables       jsonb,
    state           text        NOT NULL DEFAULT 'pending'
                                CHECK (state IN ('pending', 'dispatched', 'sent', 'failed', 'skipped', 'unknown', 'unsent')),
    due_at          timestamptz NOT NULL,
    attempt         integer     NOT NULL DEFAULT 0,
    sender          text,
    command_id      uuid,
    dispatched_at   timestamptz,
    ended_at        timestamptz,
    reason          text
);

-- The same recipient never gets the same campaign twice.
CREATE UNIQUE INDEX campaign_deliveries_recipient ON campaign_deliveries (campaign_id, recipient_kind, recipient_value);
-- Dispatch claims due deliveries from here (FOR UPDATE SKIP LOCKED).
CREATE INDEX campaign_deliveries_due ON campaign_deliveries (campaign_id, due_at, delivery_id) WHERE state = 'pending';
-- Outcomes are matched by command id; stale dispatches are found by time.
CREATE UNIQUE INDEX campaign_deliveries_command ON campaign_deliveries (command_id) WHERE command_id IS NOT NULL;
CREATE INDEX campaign_deliveries_in_flight ON campaign_deliveries (campaign_id, sender) WHERE state = 'dispatched';
CREATE INDEX campaign_deliveries_stale ON campaign_deliveries (dispatched_at) WHERE state = 'dispatched';
-- GetCampaign's failures by reason (few rows: only ended deliveries that have a reason).
CREATE INDEX campaign_deliveries_reason ON campaign_deliveries (campaign_id, reason) WHERE reason IS NOT NULL;

CREATE TABLE campaign_batches (
    batch_id       uuid        PRIMARY KEY,
    campaign_id    uuid        NOT NULL REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
    command_id     uuid        NOT NULL,
    accepted       integer     NOT NULL,
    duplicates     integer     NOT NULL,
    rejected_count integer     NOT NULL,
    rejected       jsonb       NOT NULL,
    created_at     timestamptz NOT NULL
);
