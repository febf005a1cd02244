using Dapper;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using TgFleet.Contracts.Campaigns;
using TgFleet.Scheduler.Dispatch;

namespace TgFleet.Scheduler.Campaigns;

/// <summary>
/// Moves campaigns along, each under its row lock (<c>FOR UPDATE SKIP LOCKED</c>: one replica at a
/// time): starts scheduled ones at their start time; pauses for quiet hours and resumes after them;
/// pauses with <c>ALL_SENDERS_LIMITED</c> when every sender is out after PEER_FLOOD and resumes when
/// one is back; at the deadline ends what is unsent; completes a campaign whose deliveries all ended;
/// publishes CampaignProgress at most about once a second. Events are published before the state
/// change commits, so a crash may repeat one but never loses one.
/// </summary>
public sealed class CampaignLifecycle(NpgsqlDataSource db, IBus bus, IOptions<CampaignOptions> options, TimeProvider time, SchedulerMetrics metrics,
    ILogger<CampaignLifecycle> logger)
{
    private const string ActiveSql = "SELECT campaign_id FROM campaigns WHERE state IN ('scheduled', 'running', 'paused')";

    private static readonly string LockSql = $"SELECT {CampaignRow.Columns} FROM campaigns WHERE campaign_id = @CampaignId FOR UPDATE SKIP LOCKED";

    private static readonly string SendersSql = SenderRow.Select + """

        FROM campaign_senders s LEFT JOIN accounts a ON a.account_id = s.account_id
        WHERE s.campaign_id = @CampaignId
        """;

    private const string StateSql = "UPDATE campaigns SET state = @State, paused_reason = @PausedReason WHERE campaign_id = @CampaignId";

    private const string DeadlineSql = """
        WITH unsent AS (
            UPDATE campaign_deliveries SET state = 'unsent', reason = 'DEADLINE_PASSED', ended_at = @Now
            WHERE campaign_id = @CampaignId AND state = 'pending' RETURNING 1),
        lost AS (
            UPDATE campaign_deliveries SET state = 'unknown', reason = 'OUTCOME_UNKNOWN', ended_at = @Now
            WHERE campaign_id = @CampaignId AND state = 'dispatched' AND dispatched_at < @Cutoff RETURNING 1)
        UPDATE campaigns SET pending = pending - (SELECT count(*) FROM unsent), unsent = unsent + (SELECT count(*) FROM unsent),
                             dispatched = dispatched - (SELECT count(*) FROM lost), unknown = unknown + (SELECT count(*) FROM lost)
        WHERE campaign_id = @CampaignId
        """;

    private const string CompleteSql = """
        UPDATE campaigns SET state = 'completed', end_reason = @Reason, ended_at = @Now, paused_reason = NULL WHERE campaign_id = @CampaignId
        """;

    private const string ProgressSql = """
        UPDATE campaigns SET progress_sent = @Sent, progress_at = @Now, progress_ended = @Ended, rate = @Rate WHERE campaign_id = @CampaignId
        """;

    private const string TotalsSql = """
        SELECT state AS State, count(*) AS Campaigns, sum(pending)::bigint AS Pending, sum(dispatched)::bigint AS Dispatched, sum(sent)::bigint AS Sent,
               sum(failed)::bigint AS Failed, sum(skipped)::bigint AS Skipped, sum(unknown)::bigint AS Unknown, sum(unsent)::bigint AS Unsent
        FROM campaigns GROUP BY state
        """;

    private readonly CampaignOptions _options = options.Value;

    /// <summary>One pass over the active campaigns, then a metrics snapshot.</summary>
    public async Task AdvanceAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<Guid> active;
        await using (var conn = await db.OpenConnectionAsync(cancellationToken))
        {
            active = (await conn.QueryAsync<Guid>(new CommandDefinition(ActiveSql, cancellationToken: cancellationToken))).AsList();
        }

        var senderStates = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var campaignId in active)
        {
            await AdvanceOneAsync(campaignId, senderStates, cancellationToken);
        }

        await ObserveAsync(senderStates, cancellationToken);
    }

    private async Task AdvanceOneAsync(Guid campaignId, Dictionary<string, long> senderStates, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var campaign = await conn.QuerySingleOrDefaultAsync<CampaignRow>(new CommandDefinition(LockSql, new { CampaignId = campaignId }, tx, cancellationToken: cancellationToken));
        if (campaign is null || campaign.HasEnded)
        {
            return;
        }

        var pacing = campaign.Pacing;
        var senders = (await conn.QueryAsync<SenderRow>(new CommandDefinition(SendersSql, new { campaign.CampaignId }, tx, cancellationToken: cancellationToken))).AsList();
        var deadlinePassed = pacing.Deadline is { } deadline && now >= deadline;
        if (deadlinePassed && (campaign.Pending > 0 || campaign.Dispatched > 0))
        {
            await conn.ExecuteAsync(new CommandDefinition(DeadlineSql, new { campaign.CampaignId, Now = now, Cutoff = now - _options.ResendAfter }, tx,
                commandTimeout: CampaignStore.BulkTimeoutSeconds, cancellationToken: cancellationToken));
            campaign = (await conn.QuerySingleAsync<CampaignRow>(new CommandDefinition(LockSql.Replace(" SKIP LOCKED", string.Empty, StringComparison.Ordinal),
                new { CampaignId = campaignId }, tx, cancellationToken: cancellationToken)));
        }

        var (state, reason) = (campaign.State, campaign.PausedReason);
        var allLimited = senders.Count > 0 && senders.All(s => s.StateAt(now, pacing) == "LIMITED");
        var autoPaused = state == CampaignStates.Paused && reason != CampaignReasons.Operator;
        if (campaign.Pending == 0 && campaign.Dispatched == 0 && (state == CampaignStates.Running || autoPaused)
            && (deadlinePassed || (campaign.Total > 0 && (campaign.LastBatchAt is not { } last || CampaignRow.Utc(last) <= now - _options.CompletionGrace))))
        {
            var endReason = deadlinePassed && campaign.Unsent > 0 ? CampaignReasons.DeadlinePassed : CampaignReasons.AllDelivered;
            if (campaign.Ended != campaign.ProgressEnded)
            {
                await PublishProgressAsync(campaign, now, cancellationToken);
            }

            await bus.Publish(new CampaignCompleted(campaign.StartCommandId, campaign.CampaignId, CampaignState.Completed, endReason, campaign.Counts, now), cancellationToken);
            await conn.ExecuteAsync(new CommandDefinition(CompleteSql, new { campaign.CampaignId, Reason = endReason, Now = now }, tx, cancellationToken: cancellationToken));
            await tx.CommitAsync(cancellationToken);
            Log.CampaignCompleted(logger, campaign.CampaignId, endReason, campaign.Sent, campaign.Failed, campaign.Skipped, campaign.Unknown, campaign.Unsent);
            return;
        }

        (string State, string? Reason, object? Event)? change = state switch
        {
            CampaignStates.Scheduled when now >= pacing.StartAt => (CampaignStates.Running, null, null),
            CampaignStates.Running when pacing.IsQuiet(now) =>
                (CampaignStates.Paused, CampaignReasons.QuietHours,
                    new CampaignPaused(campaign.StartCommandId, campaign.CampaignId, CampaignReasons.QuietHours, now) { ResumesAt = pacing.QuietEnds(now) }),
            CampaignStates.Running when allLimited && campaign.Pending > 0 =>
                (CampaignStates.Paused, CampaignReasons.AllSendersLimited,
                    new CampaignPaused(campaign.StartCommandId, campaign.CampaignId, CampaignReasons.AllSendersLimited, now)
                    {
                        // A sender is back when both its campaign cool-down and its account's limit have ended.
                        ResumesAt = senders.Select(s => new[] { s.LimitedUntil, s.AccountLimitedUntil }.Max()).Where(t => t is not null)
                            .Select(t => (DateTimeOffset?)CampaignRow.Utc(t!.Value)).Min(),
                    }),
            CampaignStates.Paused when reason == CampaignReasons.QuietHours && !pacing.IsQuiet(now) =>
                (CampaignStates.Running, null, new CampaignResumed(campaign.StartCommandId, campaign.CampaignId, CampaignReasons.QuietHours, now)),
            CampaignStates.Paused when reason == CampaignReasons.AllSendersLimited && !allLimited =>
                (CampaignStates.Running, null, new CampaignResumed(campaign.StartCommandId, campaign.CampaignId, CampaignReasons.AllSendersLimited, now)),
            _ => null,
        };
        if (change is { } c)
        {
            if (c.Event is not null)
            {
                await bus.Publish(c.Event, cancellationToken);
            }

            await conn.ExecuteAsync(new CommandDefinition(StateSql, new { campaign.CampaignId, c.State, PausedReason = c.Reason }, tx, cancellationToken: cancellationToken));
            Log.CampaignStateChanged(logger, campaign.CampaignId, c.State, c.Reason ?? reason ?? "start time");
        }

        var since = campaign.ProgressAt is { } at ? now - CampaignRow.Utc(at) : TimeSpan.MaxValue;
        if (campaign.Ended != campaign.ProgressEnded && since >= TimeSpan.FromSeconds(1))
        {
            var rate = await PublishProgressAsync(campaign, now, cancellationToken);
            await conn.ExecuteAsync(new CommandDefinition(ProgressSql, new { campaign.CampaignId, campaign.Sent, campaign.Ended, Rate = rate, Now = now }, tx,
                cancellationToken: cancellationToken));
        }
        else if (campaign.Ended == campaign.ProgressEnded && since > TimeSpan.FromSeconds(10) && campaign.Rate > 0)
        {
            await conn.ExecuteAsync(new CommandDefinition(ProgressSql, new { campaign.CampaignId, campaign.Sent, campaign.Ended, Rate = 0.0, Now = now }, tx,
                cancellationToken: cancellationToken));
        }

        await tx.CommitAsync(cancellationToken);
        if ((change?.State ?? state) == CampaignStates.Running)
        {
            foreach (var sender in senders)
            {
                var key = sender.StateAt(now, pacing).ToLowerInvariant();
                senderStates[key] = senderStates.GetValueOrDefault(key) + 1;
            }
        }
    }

    private async Task<double> PublishProgressAsync(CampaignRow campaign, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var since = campaign.ProgressAt is { } at ? (now - CampaignRow.Utc(at)).TotalSeconds : 0;
        var rate = since > 0 ? Math.Max(0, (campaign.Sent - campaign.ProgressSent) / since) : 0;
        await bus.Publish(new CampaignProgress(campaign.StartCommandId, campaign.CampaignId, campaign.Sent, campaign.Failed + campaign.Unknown,
            campaign.Skipped, campaign.Pending + campaign.Dispatched, rate, now), cancellationToken);
        return rate;
    }

    private async Task ObserveAsync(Dictionary<string, long> senderStates, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var totals = (await conn.QueryAsync<Totals>(new CommandDefinition(TotalsSql, cancellationToken: cancellationToken))).AsList();
        var campaigns = new[] { CampaignStates.Scheduled, CampaignStates.Running, CampaignStates.Paused, CampaignStates.Completed, CampaignStates.Cancelled }
            .ToDictionary(s => s, s => totals.Where(t => t.State == s).Sum(t => t.Campaigns), StringComparer.Ordinal);
        var deliveries = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            [DeliveryStates.Pending] = totals.Sum(t => t.Pending),
            [DeliveryStates.Dispatched] = totals.Sum(t => t.Dispatched),
            [DeliveryStates.Sent] = totals.Sum(t => t.Sent),
            [DeliveryStates.Failed] = totals.Sum(t => t.Failed),
            [DeliveryStates.Skipped] = totals.Sum(t => t.Skipped),
            [DeliveryStates.Unknown] = totals.Sum(t => t.Unknown),
            [DeliveryStates.Unsent] = totals.Sum(t => t.Unsent),
        };
        foreach (var state in new[] { "ready", "waiting", "flood_wait", "limited", "capped", "offline" })
        {
            senderStates.TryAdd(state, 0);
        }

        metrics.Observe(new SchedulerMetrics.Snapshot(campaigns, deliveries, senderStates));
    }

    private sealed class Totals
    {
        public string State { get; init; } = string.Empty;

        public long Campaigns { get; init; }

        public long Pending { get; init; }

        public long Dispatched { get; init; }

        public long Sent { get; init; }

        public long Failed { get; init; }

        public long Skipped { get; init; }

        public long Unknown { get; init; }

        public long Unsent { get; init; }
    }
}
