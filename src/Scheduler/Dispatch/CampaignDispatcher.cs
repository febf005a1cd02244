using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Messaging;
using TgFleet.Scheduler.Campaigns;
using TgFleet.Storage.Accounts;

namespace TgFleet.Scheduler.Dispatch;

/// <summary>
/// Dispatches due deliveries: for each running campaign whose window is open, in one transaction it
/// locks the senders that may send now (online, not in flood-wait or limited, under their daily cap,
/// past their next allowed time), claims as many due deliveries as they can take
/// (<c>FOR UPDATE SKIP LOCKED</c>, so replicas never claim one twice), marks them dispatched with a
/// command id per (delivery, attempt) and moves the senders' next times on; only after the commit
/// does it send the SendMessage commands. A dispatched delivery whose outcome does not come is sent
/// again under the same id (<see cref="ResendStaleAsync"/>).
/// </summary>
public sealed class CampaignDispatcher(NpgsqlDataSource db, IBus endpoints, IOptions<CampaignOptions> options, TimeProvider time,
    SchedulerMetrics metrics, ILogger<CampaignDispatcher> logger)
{
    private static readonly string RunningSql = $"SELECT {CampaignRow.Columns} FROM campaigns WHERE state = 'running' AND pending > 0";

    private static readonly string SendersSql = SenderRow.Select + $"""

        FROM campaign_senders s JOIN accounts a ON a.account_id = s.account_id
        WHERE s.campaign_id = @CampaignId AND s.next_send_at <= @Now AND (s.limited_until IS NULL OR s.limited_until <= @Now)
          AND a.status IN ({AccountRowStatus.SqlList(AccountRowStatus.Senders)}) AND (a.flood_wait_until IS NULL OR a.flood_wait_until <= @Now)
          AND (a.limited_until IS NULL OR a.limited_until <= @Now)
        ORDER BY s.position
        FOR UPDATE OF s SKIP LOCKED
        """;

    private const string InFlightSql = """
        SELECT sender AS Sender, count(*)::integer AS Count FROM campaign_deliveries
        WHERE campaign_id = @CampaignId AND state = 'dispatched' GROUP BY sender
        """;

    private const string ClaimSql = """
        SELECT delivery_id AS DeliveryId, recipient_kind AS Kind, recipient_value AS Value, variables::text AS Variables, attempt AS Attempt, due_at AS DueAt
        FROM campaign_deliveries
        WHERE campaign_id = @CampaignId AND state = 'pending' AND due_at <= @Now
        ORDER BY due_at, delivery_id
        LIMIT @Limit
        FOR UPDATE SKIP LOCKED
        """;

    private const string OptedOutSql = "SELECT telegram_user_id FROM opt_outs WHERE telegram_user_id = ANY(@UserIds)";

    private const string MarkDispatchedSql = """
        UPDATE campaign_deliveries d
        SET state = 'dispatched', attempt = u.attempt, sender = u.sender, command_id = u.command_id, dispatched_at = @Now, reason = NULL
        FROM unnest(@Ids::bigint[], @Attempts::integer[], @Senders::text[], @CommandIds::uuid[]) AS u(id, attempt, sender, command_id)
        WHERE d.delivery_id = u.id
        """;

    private const string MarkSkippedSql = """
        UPDATE campaign_deliveries SET state = 'skipped', reason = 'RECIPIENT_OPTED_OUT', ended_at = @Now WHERE delivery_id = ANY(@Ids)
        """;

    private const string MoveSendersSql = """
        UPDATE campaign_senders s SET next_send_at = u.next_send_at, cap_day = u.cap_day, sent_on_day = u.sent_on_day
        FROM unnest(@Accounts::text[], @NextSendAt::timestamptz[], @CapDay::integer[], @SentOnDay::integer[]) AS u(account_id, next_send_at, cap_day, sent_on_day)
        WHERE s.campaign_id = @CampaignId AND s.account_id = u.account_id
        """;

    private const string CountSql = """
        UPDATE campaigns SET pending = pending - @Dispatched - @Skipped, dispatched = dispatched + @Dispatched, skipped = skipped + @Skipped
        WHERE campaign_id = @CampaignId
        """;

    private const string StaleSql = """
        WITH stale AS (
            SELECT delivery_id FROM campaign_deliveries
            WHERE state = 'dispatched' AND dispatched_at < @Cutoff
              AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.campaign_id = campaign_deliveries.campaign_id AND c.deadline <= @Now)
            ORDER BY dispatched_at LIMIT @Limit
            FOR UPDATE SKIP LOCKED)
        UPDATE campaign_deliveries d SET dispatched_at = @Now
        FROM stale WHERE d.delivery_id = stale.delivery_id
        RETURNING d.campaign_id AS CampaignId, d.delivery_id AS DeliveryId, d.recipient_kind AS Kind, d.recipient_value AS Value,
                  d.variables::text AS Variables, d.attempt AS Attempt, d.sender AS Sender, d.command_id AS CommandId
        """;

    private static readonly string TemplatesSql = $"SELECT {CampaignRow.Columns} FROM campaigns WHERE campaign_id = ANY(@Ids)";

    private readonly CampaignOptions _options = options.Value;

    /// <summary>
    /// Dispatches what is due in every running campaign, round after round, until nothing more is
    /// due now (or only senders whose in-flight window is full could take more, for at most
    /// <see cref="CampaignOptions.DispatchBudget"/>); returns how many deliveries it moved.
    /// </summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        var started = time.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            IReadOnlyList<CampaignRow> running;
            await using (var conn = await db.OpenConnectionAsync(cancellationToken))
            {
                running = (await conn.QueryAsync<CampaignRow>(new CommandDefinition(RunningSql, cancellationToken: cancellationToken))).AsList();
            }

            var round = 0;
            var throttled = false;
            foreach (var campaign in running)
            {
                var (moved, full) = await DispatchCampaignAsync(campaign, cancellationToken);
                round += moved;
                throttled |= full;
            }

            total += round;
            if (round == 0 && (!throttled || time.GetElapsedTime(started) > _options.DispatchBudget))
            {
                return total;
            }

            if (round == 0)
            {
                // Only full in-flight windows stop us: outcomes free them within milliseconds.
                await Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken);
            }
        }

        return total;
    }

    private async Task<(int Moved, bool Throttled)> DispatchCampaignAsync(CampaignRow campaign, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var pacing = campaign.Pacing;
        if (!pacing.IsOpen(now))
        {
            return (0, false);
        }

        var throttled = false;
        long[] skipped = [];

        var commands = new List<SendMessage>();
        var dispatched = new List<(long Id, int Attempt, string Sender, Guid CommandId)>();
        var lags = new List<double>();
        await using (var conn = await db.OpenConnectionAsync(cancellationToken))
        await using (var tx = await conn.BeginTransactionAsync(cancellationToken))
        {
            var senders = (await conn.QueryAsync<SenderRow>(new CommandDefinition(SendersSql, new { campaign.CampaignId, Now = now }, tx,
                cancellationToken: cancellationToken))).AsList();
            if (senders.Count == 0)
            {
                return (0, false);
            }

            var inFlight = (await conn.QueryAsync<(string Sender, int Count)>(new CommandDefinition(InFlightSql, new { campaign.CampaignId }, tx,
                cancellationToken: cancellationToken))).ToDictionary(r => r.Sender, r => r.Count, StringComparer.Ordinal);
            var capacity = new List<(SenderRow Sender, int Room)>();
            var capped = new List<SenderRow>();
            foreach (var sender in senders)
            {
                var capLeft = pacing.DailyCap - sender.SentToday(now, pacing);
                if (capLeft <= 0)
                {
                    capped.Add(sender);
                    continue;
                }

                var windowLeft = _options.MaxInFlightPerSender - inFlight.GetValueOrDefault(sender.AccountId);
                throttled |= windowLeft <= 0;
                var room = Math.Min(capLeft, windowLeft);
                room = pacing.MinIntervalMs > 0 ? Math.Min(room, 1) : room;
                if (room > 0)
                {
                    capacity.Add((sender, room));
                }
            }

            var limit = Math.Min(_options.DispatchBatch, capacity.Sum(c => c.Room));
            var claimed = limit == 0
                ? []
                : (await conn.QueryAsync<DeliveryRow>(new CommandDefinition(ClaimSql, new { campaign.CampaignId, Now = now, Limit = limit }, tx,
                    cancellationToken: cancellationToken))).AsList();

            var userIds = claimed.Where(d => d.Kind == (short)RecipientKind.UserId).Select(d => long.Parse(d.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var optedOut = userIds.Length == 0
                ? []
                : (await conn.QueryAsync<long>(new CommandDefinition(OptedOutSql, new { UserIds = userIds }, tx, cancellationToken: cancellationToken))).ToHashSet();
            skipped = claimed.Where(d => d.Kind == (short)RecipientKind.UserId && optedOut.Contains(long.Parse(d.Value, System.Globalization.CultureInfo.InvariantCulture)))
                .Select(d => d.DeliveryId).ToArray();

            // Round robin over the senders that have room, so one campaign's senders share the work.
            var given = capacity.ToDictionary(c => c.Sender.AccountId, _ => 0, StringComparer.Ordinal);
            var next = 0;
            foreach (var delivery in claimed.Where(d => !skipped.Contains(d.DeliveryId)))
            {
                while (given[capacity[next % capacity.Count].Sender.AccountId] >= capacity[next % capacity.Count].Room)
                {
                    next++;
                }

                var sender = capacity[next++ % capacity.Count].Sender.AccountId;
                given[sender]++;
                var attempt = delivery.Attempt + 1;
                var commandId = DeliveryCommandIds.For(campaign.CampaignId, delivery.DeliveryId, attempt);
                dispatched.Add((delivery.DeliveryId, attempt, sender, commandId));
                commands.Add(campaign.ToSendMessage(commandId, sender, delivery));
            }

            if (dispatched.Count > 0)
            {
                await conn.ExecuteAsync(new CommandDefinition(MarkDispatchedSql, new
                {
                    Ids = dispatched.Select(d => d.Id).ToArray(),
                    Attempts = dispatched.Select(d => d.Attempt).ToArray(),
                    Senders = dispatched.Select(d => d.Sender).ToArray(),
                    CommandIds = dispatched.Select(d => d.CommandId).ToArray(),
                    Now = now,
                }, tx, cancellationToken: cancellationToken));
            }

            if (skipped.Length > 0)
            {
                await conn.ExecuteAsync(new CommandDefinition(MarkSkippedSql, new { Ids = skipped, Now = now }, tx, cancellationToken: cancellationToken));
            }

            // Senders that sent move to their next allowed time; capped ones wait for the cap's next day.
            var moved = capacity.Where(c => given[c.Sender.AccountId] > 0)
                .Select(c => (c.Sender.AccountId, Next: pacing.NextSend(now), Day: pacing.CapDay(now).DayNumber, Count: c.Sender.SentToday(now, pacing) + given[c.Sender.AccountId]))
                .Concat(capped.Select(c => (c.AccountId, Next: pacing.NextCapDay(now), Day: pacing.CapDay(now).DayNumber, Count: c.SentToday(now, pacing))))
                .ToList();
            if (moved.Count > 0)
            {
                await conn.ExecuteAsync(new CommandDefinition(MoveSendersSql, new
                {
                    campaign.CampaignId,
                    Accounts = moved.Select(m => m.AccountId).ToArray(),
                    NextSendAt = moved.Select(m => m.Next).ToArray(),
                    CapDay = moved.Select(m => m.Day).ToArray(),
                    SentOnDay = moved.Select(m => m.Count).ToArray(),
                }, tx, cancellationToken: cancellationToken));
            }

            if (dispatched.Count + skipped.Length > 0)
            {
                await conn.ExecuteAsync(new CommandDefinition(CountSql, new { campaign.CampaignId, Dispatched = dispatched.Count, Skipped = skipped.Length }, tx,
                    cancellationToken: cancellationToken));
            }

            lags.AddRange(claimed.Where(d => !skipped.Contains(d.DeliveryId)).Select(d => Math.Max(0, (now - CampaignRow.Utc(d.DueAt)).TotalSeconds)));
            await tx.CommitAsync(cancellationToken);
            metrics.Skipped(skipped.Length);
        }

        metrics.Dispatched(dispatched.Count, resend: false, lags);
        if (commands.Count > 0)
        {
            using var activity = DispatchTracing.Start("campaign dispatch", campaign, commands.Count);
            await SendAsync(campaign.CampaignId, commands, cancellationToken);
        }

        return (dispatched.Count + skipped.Length, throttled);
    }

    /// <summary>Sends again, under the same command ids, the dispatched deliveries that have had no outcome for <see cref="CampaignOptions.ResendAfter"/>.</summary>
    public async Task<int> ResendStaleAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        List<DeliveryRow> stale;
        Dictionary<Guid, CampaignRow> campaigns;
        await using (var conn = await db.OpenConnectionAsync(cancellationToken))
        {
            stale = (await conn.QueryAsync<DeliveryRow>(new CommandDefinition(StaleSql,
                new { Cutoff = now - _options.ResendAfter, Now = now, Limit = _options.DispatchBatch }, cancellationToken: cancellationToken))).AsList();
            if (stale.Count == 0)
            {
                return 0;
            }

            campaigns = (await conn.QueryAsync<CampaignRow>(new CommandDefinition(TemplatesSql,
                new { Ids = stale.Select(s => s.CampaignId).Distinct().ToArray() }, cancellationToken: cancellationToken))).ToDictionary(c => c.CampaignId);
        }

        Log.Resent(logger, stale.Count);
        metrics.Dispatched(stale.Count, resend: true, []);
        foreach (var group in stale.GroupBy(s => s.CampaignId))
        {
            var campaign = campaigns[group.Key];
            using var activity = DispatchTracing.Start("campaign resend", campaign, group.Count());
            await SendAsync(campaign.CampaignId, group.Select(d => campaign.ToSendMessage(d.CommandId!.Value, d.Sender!, d)).ToList(), cancellationToken);
        }

        return stale.Count;
    }

    private async Task SendAsync(Guid campaignId, IReadOnlyList<SendMessage> commands, CancellationToken cancellationToken)
    {
        try
        {
            // Sent concurrently (each awaits its broker confirm), in chunks so one tick holds a bounded number in memory.
            foreach (var chunk in commands.Chunk(256))
            {
                await Task.WhenAll(chunk.Select(c => endpoints.SendToShard(c, _options.ShardCount, cancellationToken)));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Dispatched and recorded: ResendStaleAsync sends them again under the same ids.
            Log.DispatchFailed(logger, e, campaignId);
        }
    }
}

/// <summary>A delivery as dispatch reads it.</summary>
public sealed class DeliveryRow
{
    public Guid CampaignId { get; init; }

    public long DeliveryId { get; init; }

    public short Kind { get; init; }

    public string Value { get; init; } = string.Empty;

    public string? Variables { get; init; }

    public int Attempt { get; init; }

    public string? Sender { get; init; }

    public Guid? CommandId { get; init; }

    public DateTime DueAt { get; init; }
}

/// <summary>Builds a campaign's SendMessage commands.</summary>
public static class CampaignMessages
{
    /// <summary>The SendMessage of one attempt of <paramref name="delivery"/> from <paramref name="sender"/>.</summary>
    public static SendMessage ToSendMessage(this CampaignRow campaign, Guid commandId, string sender, DeliveryRow delivery)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(delivery);
        var variables = delivery.Variables is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(delivery.Variables);
        var to = (RecipientKind)delivery.Kind == RecipientKind.Username
            ? Recipient.Username(delivery.Value)
            : new Recipient((RecipientKind)delivery.Kind, delivery.Value);
        return new SendMessage(commandId, sender, to, MessageTemplates.Fill(campaign.Template, variables))
        {
            Format = campaign.TextFormat,
            Silent = campaign.Silent,
        };
    }
}
