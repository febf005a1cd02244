using Dapper;
using Npgsql;
using TgFleet.Contracts.Campaigns;
using TgFleet.Storage.Accounts;

namespace TgFleet.Scheduler.Campaigns;

/// <summary>Campaign rows and their senders: create, read, and the operator's state changes.</summary>
public sealed class CampaignStore(NpgsqlDataSource db)
{
    private const string InsertSql = """
        INSERT INTO campaigns (campaign_id, start_command_id, name, state, template, format, silent, min_interval_ms, jitter_ms, daily_cap,
                               quiet_start, quiet_end, time_zone, start_at, deadline, max_attempts, created_at, traceparent)
        VALUES (@CampaignId, @CommandId, @Name, @State, @Template, @Format, @Silent, @MinIntervalMs, @JitterMs, @DailyCap,
                @QuietStart::time, @QuietEnd::time, @TimeZone, @StartAt, @Deadline, @MaxAttempts, @Now, @TraceParent)
        ON CONFLICT (campaign_id) DO NOTHING
        """;

    private const string InsertSendersSql = """
        INSERT INTO campaign_senders (campaign_id, account_id, position, next_send_at)
        SELECT @CampaignId, s.account_id, s.position, @StartAt
        FROM unnest(@Senders::text[]) WITH ORDINALITY AS s(account_id, position)
        """;

    private const string UnknownAccountsSql = """
        SELECT s FROM unnest(@Senders::text[]) AS s WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = s) LIMIT 1
        """;

    private static readonly string FindSql = $"SELECT {CampaignRow.Columns} FROM campaigns WHERE campaign_id = @CampaignId";

    private static readonly string SendersSql = SenderRow.Select + """

        FROM campaign_senders s LEFT JOIN accounts a ON a.account_id = s.account_id
        WHERE s.campaign_id = @CampaignId ORDER BY s.position
        """;

    private const string FailuresSql = """
        SELECT reason AS Reason, count(*) AS Count FROM campaign_deliveries
        WHERE campaign_id = @CampaignId AND reason IS NOT NULL GROUP BY reason
        """;

    private const string PauseSql = """
        UPDATE campaigns SET state = 'paused', paused_reason = 'OPERATOR'
        WHERE campaign_id = @CampaignId AND state IN ('scheduled', 'running', 'paused')
        """;

    private const string ResumeSql = """
        UPDATE campaigns SET state = CASE WHEN start_at > @Now THEN 'scheduled' ELSE 'running' END, paused_reason = NULL
        WHERE campaign_id = @CampaignId AND state = 'paused' AND paused_reason = 'OPERATOR'
        """;

    // Pending deliveries end as unsent; those in flight keep their outcome when it comes.
    private const string CancelSql = """
        WITH target AS (
            SELECT campaign_id FROM campaigns WHERE campaign_id = @CampaignId AND state IN ('scheduled', 'running', 'paused') FOR UPDATE),
        unsent AS (
            UPDATE campaign_deliveries d SET state = 'unsent', reason = 'CANCELLED', ended_at = @Now
            FROM target WHERE d.campaign_id = target.campaign_id AND d.state = 'pending'
            RETURNING 1)
        UPDATE campaigns SET state = 'cancelled', end_reason = 'CANCELLED', ended_at = @Now, paused_reason = NULL,
                             unsent = unsent + (SELECT count(*) FROM unsent), pending = pending - (SELECT count(*) FROM unsent)
        WHERE campaign_id = (SELECT campaign_id FROM target)
        """;

    /// <summary>
    /// Stores a new campaign and its senders with the W3C <paramref name="traceParent"/> of the
    /// StartCampaign's consume (null when nothing traces); false when the campaign id exists already (a redelivery).
    /// </summary>
    public async Task<bool> CreateAsync(StartCampaign command, DateTimeOffset now, string? traceParent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var pacing = command.Pacing;
        var startAt = (pacing.StartAt ?? now).ToUniversalTime();
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var created = await conn.ExecuteAsync(new CommandDefinition(InsertSql, new
        {
            command.CampaignId,
            command.CommandId,
            Name = command.Name.Trim(),
            State = startAt > now ? CampaignStates.Scheduled : CampaignStates.Running,
            Template = command.Message.Text,
            Format = (int)command.Message.Format,
            command.Message.Silent,
            MinIntervalMs = pacing.MinimumIntervalMs,
            pacing.JitterMs,
            DailyCap = pacing.DailyCapPerSender,
            QuietStart = pacing.QuietHours?.Start,
            QuietEnd = pacing.QuietHours?.End,
            TimeZone = pacing.QuietHours?.TimeZone,
            StartAt = startAt,
            Deadline = pacing.Deadline?.ToUniversalTime(),
            pacing.MaxAttempts,
            Now = now,
            TraceParent = traceParent,
        }, tx, cancellationToken: cancellationToken)) == 1;
        if (created)
        {
            await conn.ExecuteAsync(new CommandDefinition(InsertSendersSql,
                new { command.CampaignId, Senders = command.SenderAccountIds.ToArray(), StartAt = startAt }, tx, cancellationToken: cancellationToken));
        }

        await tx.CommitAsync(cancellationToken);
        return created;
    }

    /// <summary>The first of <paramref name="senders"/> the fleet has no account for, or null.</summary>
    public async Task<string?> UnknownSenderAsync(IReadOnlyList<string> senders, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        return await conn.QuerySingleOrDefaultAsync<string>(new CommandDefinition(UnknownAccountsSql, new { Senders = senders.ToArray() },
            cancellationToken: cancellationToken));
    }

    /// <summary>The campaign, or null.</summary>
    public async Task<CampaignRow?> FindAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        return await conn.QuerySingleOrDefaultAsync<CampaignRow>(new CommandDefinition(FindSql, new { CampaignId = campaignId }, cancellationToken: cancellationToken));
    }

    /// <summary>The campaign's senders with their accounts' status.</summary>
    public async Task<IReadOnlyList<SenderRow>> SendersAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        return (await conn.QueryAsync<SenderRow>(new CommandDefinition(SendersSql, new { CampaignId = campaignId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Ended deliveries with a reason, counted by reason.</summary>
    public async Task<IReadOnlyDictionary<string, long>> FailuresAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var rows = await conn.QueryAsync<(string Reason, long Count)>(new CommandDefinition(FailuresSql, new { CampaignId = campaignId }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Reason, r => r.Count, StringComparer.Ordinal);
    }

    /// <summary>Pauses it by the operator's wish; false when it has ended.</summary>
    public Task<bool> PauseAsync(Guid campaignId, CancellationToken cancellationToken) => ChangeAsync(PauseSql, campaignId, default, cancellationToken);

    /// <summary>Resumes an operator's pause; false when it was not paused by an operator.</summary>
    public Task<bool> ResumeAsync(Guid campaignId, DateTimeOffset now, CancellationToken cancellationToken) => ChangeAsync(ResumeSql, campaignId, now, cancellationToken);

    /// <summary>Cancels it, its pending deliveries ending unsent; false when it had ended already.</summary>
    public Task<bool> CancelAsync(Guid campaignId, DateTimeOffset now, CancellationToken cancellationToken) =>
        ChangeAsync(CancelSql, campaignId, now, cancellationToken, BulkTimeoutSeconds);

    /// <summary>How long a statement that ends all of a campaign's pending deliveries may run: a million of them take minutes on a busy server.</summary>
    public const int BulkTimeoutSeconds = 900;

    private async Task<bool> ChangeAsync(string sql, Guid campaignId, DateTimeOffset now, CancellationToken cancellationToken, int? timeoutSeconds = null)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        return await conn.ExecuteAsync(new CommandDefinition(sql, new { CampaignId = campaignId, Now = now }, commandTimeout: timeoutSeconds,
            cancellationToken: cancellationToken)) > 0;
    }
}

/// <summary>A campaign sender with its account's status (<c>campaign_senders</c> joined with <c>accounts</c>).</summary>
public sealed class SenderRow
{
    /// <summary>The select list, from <c>campaign_senders s</c> and <c>accounts a</c>.</summary>
    public const string Select = """
        SELECT s.account_id AS AccountId, s.next_send_at AS NextSendAt, s.limited_until AS LimitedUntil, s.cap_day AS CapDay,
               s.sent_on_day AS SentOnDay, a.status AS AccountStatus, a.flood_wait_until AS FloodWaitUntil, a.limited_until AS AccountLimitedUntil
        """;

    public string AccountId { get; init; } = string.Empty;

    public DateTime NextSendAt { get; init; }

    public DateTime? LimitedUntil { get; init; }

    public int? CapDay { get; init; }

    public int SentOnDay { get; init; }

    public string? AccountStatus { get; init; }

    public DateTime? FloodWaitUntil { get; init; }

    /// <summary>The end of the account's PEER_FLOOD limit as its worker recorded it (the fleet-wide one; <see cref="LimitedUntil"/> is this campaign's cool-down).</summary>
    public DateTime? AccountLimitedUntil { get; init; }

    /// <summary>
    /// Its pacing state at <paramref name="now"/>: READY, WAITING, FLOOD_WAIT, LIMITED, CAPPED or OFFLINE.
    /// A limit counts until its recorded end: the account's status says <c>flood_wait</c> or
    /// <c>limited</c> until its worker next sends from it, which is after the end.
    /// </summary>
    public string StateAt(DateTimeOffset now, Pacing pacing)
    {
        ArgumentNullException.ThrowIfNull(pacing);
        if (LimitedUntil is { } limited && CampaignRow.Utc(limited) > now || AccountLimitedUntil is { } accountLimited && CampaignRow.Utc(accountLimited) > now)
        {
            return "LIMITED";
        }

        if (FloodWaitUntil is { } flood && CampaignRow.Utc(flood) > now)
        {
            return "FLOOD_WAIT";
        }

        if (AccountRowStatus.Parse(AccountStatus) is not { } status || !AccountRowStatus.Senders.Contains(status))
        {
            return "OFFLINE";
        }

        if (SentToday(now, pacing) >= pacing.DailyCap)
        {
            return "CAPPED";
        }

        return CampaignRow.Utc(NextSendAt) > now ? "WAITING" : "READY";
    }

    /// <summary>How many it dispatched on the cap's day of <paramref name="now"/>.</summary>
    public int SentToday(DateTimeOffset now, Pacing pacing) =>
        CapDay == pacing.CapDay(now).DayNumber ? SentOnDay : 0;
}
