using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using TgFleet.Scheduler.Campaigns;

namespace TgFleet.Scheduler.Dispatch;

/// <summary>An outcome of a SendMessage the scheduler may have dispatched: sent (no reason) or failed.</summary>
public readonly record struct SendOutcome(Guid CommandId, string? FailureReason, bool Permanent, DateTimeOffset? RetryAfter)
{
    /// <summary>A MessageSent.</summary>
    public static SendOutcome Sent(Guid commandId) => new(commandId, null, false, null);
}

/// <summary>
/// Applies outcome events to their deliveries, a batch in one transaction, matched by command id
/// (events of commands the scheduler did not dispatch, or of deliveries already ended, change
/// nothing). Sent and permanent failures are final; OUTCOME_UNKNOWN is final as unknown, never
/// resent; RECIPIENT_OPTED_OUT is skipped; FLOOD_WAIT moves the sender's next time to RetryAfter
/// and the delivery back to pending as a new attempt, due at once for another ready sender; PEER_FLOOD takes the sender out of the
/// campaign for <see cref="CampaignOptions.PeerFloodCooldown"/> and gives the delivery to another;
/// other retryable failures are retried up to the campaign's attempts.
/// </summary>
public sealed class OutcomeRecorder(NpgsqlDataSource db, IOptions<CampaignOptions> options, TimeProvider time, SchedulerMetrics metrics,
    ILogger<OutcomeRecorder> logger)
{
    private const string MatchSql = """
        SELECT d.delivery_id AS DeliveryId, d.command_id AS CommandId, d.campaign_id AS CampaignId, d.attempt AS Attempt, d.sender AS Sender,
               c.max_attempts AS MaxAttempts
        FROM campaign_deliveries d JOIN campaigns c ON c.campaign_id = d.campaign_id
        WHERE d.command_id = ANY(@CommandIds) AND d.state = 'dispatched'
        ORDER BY d.delivery_id
        FOR UPDATE OF d
        """;

    private const string ApplySql = """
        UPDATE campaign_deliveries d
        SET state = u.state, reason = u.reason, due_at = COALESCE(u.due_at, d.due_at), ended_at = CASE WHEN u.state = 'pending' THEN NULL ELSE @Now END
        FROM unnest(@Ids::bigint[], @States::text[], @Reasons::text[], @DueAt::timestamptz[]) AS u(id, state, reason, due_at)
        WHERE d.delivery_id = u.id
        """;

    private const string SenderSql = """
        UPDATE campaign_senders
        SET next_send_at = GREATEST(next_send_at, COALESCE(@NextSendAt, next_send_at)),
            limited_until = GREATEST(limited_until, @LimitedUntil)
        WHERE campaign_id = @CampaignId AND account_id = @AccountId
        """;

    private const string CountSql = """
        UPDATE campaigns SET dispatched = dispatched - @Ended - @Pending, pending = pending + @Pending, sent = sent + @Sent, failed = failed + @Failed,
                             skipped = skipped + @Skipped, unknown = unknown + @Unknown
        WHERE campaign_id = @CampaignId
        """;

    private readonly CampaignOptions _options = options.Value;

    /// <summary>Applies <paramref name="outcomes"/>; returns how many matched a dispatched delivery.</summary>
    public async Task<int> RecordAsync(IReadOnlyList<SendOutcome> outcomes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var byCommand = new Dictionary<Guid, SendOutcome>();
        foreach (var outcome in outcomes)
        {
            byCommand.TryAdd(outcome.CommandId, outcome);
        }

        var now = time.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var matched = (await conn.QueryAsync<MatchedDelivery>(new CommandDefinition(MatchSql, new { CommandIds = byCommand.Keys.ToArray() }, tx,
            cancellationToken: cancellationToken))).AsList();
        if (matched.Count == 0)
        {
            await tx.CommitAsync(cancellationToken);
            return 0;
        }

        var changes = matched.Select(d => (Delivery: d, Change: Classify(d, byCommand[d.CommandId], now))).ToList();
        await conn.ExecuteAsync(new CommandDefinition(ApplySql, new
        {
            Ids = changes.Select(c => c.Delivery.DeliveryId).ToArray(),
            States = changes.Select(c => c.Change.State).ToArray(),
            Reasons = changes.Select(c => c.Change.Reason).ToArray(),
            DueAt = changes.Select(c => c.Change.DueAt).ToArray(),
            Now = now,
        }, tx, cancellationToken: cancellationToken));

        // Senders before campaigns: dispatch locks them in that order too.
        foreach (var sender in changes.Where(c => c.Change.SenderNext is not null || c.Change.SenderLimitedUntil is not null)
                     .GroupBy(c => (c.Delivery.CampaignId, c.Delivery.Sender)).OrderBy(g => g.Key.CampaignId).ThenBy(g => g.Key.Sender, StringComparer.Ordinal))
        {
            var limitedUntil = sender.Max(c => c.Change.SenderLimitedUntil);
            await conn.ExecuteAsync(new CommandDefinition(SenderSql, new
            {
                sender.Key.CampaignId,
                AccountId = sender.Key.Sender,
                NextSendAt = sender.Max(c => c.Change.SenderNext),
                LimitedUntil = limitedUntil,
            }, tx, cancellationToken: cancellationToken));
            if (limitedUntil is { } until)
            {
                Log.SenderLimited(logger, sender.Key.Sender ?? string.Empty, sender.Key.CampaignId, until);
            }
        }

        foreach (var campaign in changes.GroupBy(c => c.Delivery.CampaignId).OrderBy(g => g.Key))
        {
            long Count(string state) => campaign.LongCount(c => c.Change.State == state);
            await conn.ExecuteAsync(new CommandDefinition(CountSql, new
            {
                CampaignId = campaign.Key,
                Ended = campaign.LongCount(c => c.Change.State != DeliveryStates.Pending),
                Pending = Count(DeliveryStates.Pending),
                Sent = Count(DeliveryStates.Sent),
                Failed = Count(DeliveryStates.Failed),
                Skipped = Count(DeliveryStates.Skipped),
                Unknown = Count(DeliveryStates.Unknown),
            }, tx, cancellationToken: cancellationToken));
        }

        await tx.CommitAsync(cancellationToken);
        foreach (var change in changes)
        {
            metrics.Outcome(change.Change.Metric);
        }

        return matched.Count;
    }

    private Change Classify(MatchedDelivery delivery, SendOutcome outcome, DateTimeOffset now)
    {
        var canRetry = delivery.Attempt < delivery.MaxAttempts;
        switch (outcome.FailureReason)
        {
            case null:
                return new(DeliveryStates.Sent, null, null, "sent");
            case "RECIPIENT_OPTED_OUT":
                return new(DeliveryStates.Skipped, outcome.FailureReason, null, "skipped");
            case "OUTCOME_UNKNOWN":
                return new(DeliveryStates.Unknown, outcome.FailureReason, null, "unknown");
            case var reason when reason.StartsWith("FLOOD_WAIT", StringComparison.Ordinal):
                // The sender waits until RetryAfter; the delivery is due now, for another sender that is ready.
                var retryAt = outcome.RetryAfter is { } after && after > now ? after.ToUniversalTime() : now + _options.RetryDelay;
                return canRetry
                    ? new(DeliveryStates.Pending, null, now, "flood_wait") { SenderNext = retryAt }
                    : new(DeliveryStates.Failed, reason, null, "failed") { SenderNext = retryAt };
            case "PEER_FLOOD":
                // Not the recipient's fault: another sender takes it, whatever the attempts.
                return new(DeliveryStates.Pending, null, now, "peer_flood") { SenderLimitedUntil = now + _options.PeerFloodCooldown };
            case var reason when outcome.Permanent || !canRetry:
                return new(DeliveryStates.Failed, reason, null, "failed");
            default:
                var due = outcome.RetryAfter is { } later && later > now ? later.ToUniversalTime() : now + _options.RetryDelay;
                return new(DeliveryStates.Pending, null, due, "retry");
        }
    }

    private sealed record Change(string State, string? Reason, DateTimeOffset? DueAt, string Metric)
    {
        public DateTimeOffset? SenderNext { get; init; }

        public DateTimeOffset? SenderLimitedUntil { get; init; }
    }

    private sealed class MatchedDelivery
    {
        public long DeliveryId { get; init; }

        public Guid CommandId { get; init; }

        public Guid CampaignId { get; init; }

        public int Attempt { get; init; }

        public string? Sender { get; init; }

        public int MaxAttempts { get; init; }
    }
}

/// <summary>The values of <c>campaign_deliveries.state</c>.</summary>
public static class DeliveryStates
{
    public const string Pending = "pending";
    public const string Dispatched = "dispatched";
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Skipped = "skipped";
    public const string Unknown = "unknown";
    public const string Unsent = "unsent";
}
