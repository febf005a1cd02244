using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Commands;
using TgFleet.Worker.Fencing;
using TgFleet.Worker.Sharding;

namespace TgFleet.Worker.Messaging;

/// <summary>
/// The second half of a send (docs/messaging.md, "Sends finish asynchronously"): once a message is
/// handed to TDLib its broker delivery is released, and this records Telegram's answer in the
/// journal and publishes it. Every accepted send ends in exactly one final outcome:
/// <list type="bullet">
/// <item>the outcome is recorded only while the lease epoch the send ran under is still its shard's
/// (<see cref="SendJournal.FinishAsync"/>), and published only while this worker holds that lease, so
/// a fenced, paused or dead owner records and publishes nothing more;</item>
/// <item>a recorded outcome is marked unpublished until its event is out (an outbox flag), so an owner
/// that dies in between leaves it for the next one to publish;</item>
/// <item>the shard's next owner resolves what its predecessors left open
/// (<see cref="ResolveLeftOpenAsync"/>): a row still <c>sending</c> becomes <c>MessageSent</c> when
/// the chat shows the message, otherwise <c>OUTCOME_UNKNOWN</c>; it is never sent again.</item>
/// </list>
/// Journal writes and publishes are retried through database and broker outages for as long as the
/// lease is held.
/// </summary>
public sealed partial class SendOutcomes(SendJournal journal, AccountRegistry registry, IAccountEvents events, WorkerMetrics metrics, TimeProvider time,
    IOptions<SendingOptions> options, ILogger<SendOutcomes> logger, Lazy<ShardOwnership> ownership)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan PublishAttempt = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<Guid, (int Shard, Task Done)> _inFlight = new();
    private readonly ConditionalWeakTable<AccountRuntime, Task> _lastByAccount = new();
    private readonly ConcurrentDictionary<int, (CancellationTokenSource Stop, Task Done)> _resolving = new();
    private readonly ConcurrentDictionary<(int Shard, long Epoch), bool> _stopping = new();
    private readonly Lock _drainGate = new();
    private long _drainUntil;

    /// <summary>Whether <paramref name="commandId"/> was handed to TDLib by this worker and its outcome is still to come.</summary>
    public bool IsInFlight(Guid commandId) => _inFlight.ContainsKey(commandId);

    /// <summary>
    /// Completes once the outcome of <paramref name="runtime"/>'s last send handed to TDLib is known.
    /// An account's sends reach Telegram one at a time: the next one is handed over only after
    /// Telegram answered the previous, so a FLOOD_WAIT or PEER_FLOOD answer is honoured by the very
    /// next send (the broker delivery of the previous one was released at its hand-off).
    /// </summary>
    public Task SettledAsync(AccountRuntime runtime, CancellationToken cancellationToken) =>
        _lastByAccount.TryGetValue(runtime, out var last) ? last.WaitAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>
    /// Follows a send handed to TDLib by <paramref name="runtime"/> until its outcome is recorded and
    /// published. <paramref name="sinceDelivery"/> is how long the command had been delivered at the hand-off.
    /// </summary>
    public void Track(SendMessage command, AccountRuntime runtime, Task<SendResult?> outcome, TimeSpan sinceDelivery)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(outcome);
        var handedOff = time.GetTimestamp();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _inFlight[command.CommandId] = (runtime.Shard, done.Task);
        _lastByAccount.AddOrUpdate(runtime, done.Task);
        _ = FollowAsync(command, runtime, outcome, () => sinceDelivery + time.GetElapsedTime(handedOff), done);
    }

    /// <summary>
    /// <paramref name="lease"/>'s shard is stopping here: its resolving stops, and a send whose client
    /// closes from now on is left to the next owner. A graceful hand-over (<paramref name="graceful"/>)
    /// first waits, up to <c>Sending:HandOverWait</c>, for the outcomes of its sends in flight, so
    /// that its next owner has as little as possible to resolve.
    /// </summary>
    public async Task StopShardAsync(ShardLease lease, bool graceful, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        _stopping[(lease.Shard, lease.Epoch)] = true;
        if (_resolving.TryRemove(lease.Shard, out var resolving))
        {
            await resolving.Stop.CancelAsync();
            await resolving.Done;
            resolving.Stop.Dispose();
        }

        var pending = _inFlight.Values.Where(f => f.Shard == lease.Shard).Select(f => f.Done).ToList();
        if (!graceful || pending.Count == 0)
        {
            return;
        }

        // One window for a burst of hand-overs (a shutdown stops its shards one after another).
        TimeSpan left;
        lock (_drainGate)
        {
            var now = time.GetTimestamp();
            if (_drainUntil <= now)
            {
                _drainUntil = now + (long)(options.Value.HandOverWait.TotalSeconds * time.TimestampFrequency);
            }

            left = TimeSpan.FromSeconds((double)(_drainUntil - now) / time.TimestampFrequency);
        }

        try
        {
            await Task.WhenAll(pending).WaitAsync(left, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            Log.HandOverLeft(logger, lease.Shard, pending.Count(t => !t.IsCompleted));
        }
    }

    /// <summary>Starts resolving, in the background, what owners of <paramref name="lease"/>'s shard before it left open.</summary>
    public void StartResolving(ShardLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        foreach (var stopped in _stopping.Keys.Where(k => k.Shard == lease.Shard))
        {
            _stopping.TryRemove(stopped, out _);
        }

        var stop = new CancellationTokenSource();
        var done = Task.Run(() => ResolveLeftOpenAsync(lease, stop.Token), CancellationToken.None);
        if (_resolving.TryGetValue(lease.Shard, out var earlier))
        {
            earlier.Stop.Cancel();
        }

        _resolving[lease.Shard] = (stop, done);
    }

    /// <summary>
    /// Resolves the rows that owners of <paramref name="lease"/>'s shard before it left open: a
    /// recorded, unpublished outcome is published; a row still <c>sending</c> is looked for in its
    /// chat once the account is restored, and recorded as sent or as <c>OUTCOME_UNKNOWN</c>. Looks
    /// once at once and once more after <see cref="SendingOptions.LeftOpenRescan"/>: a predecessor's
    /// <c>sending</c> row whose statement read the old lease before the take-over committed may
    /// commit after the first look.
    /// </summary>
    public async Task ResolveLeftOpenAsync(ShardLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        try
        {
            await ResolveLeftOpenOnceAsync(lease, cancellationToken);
            await Task.Delay(options.Value.LeftOpenRescan, time, cancellationToken);
            await ResolveLeftOpenOnceAsync(lease, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The shard stopped here: its next owner resolves what is still open.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.ResolveFailed(logger, e, lease.Shard);
        }
    }

    private async Task ResolveLeftOpenOnceAsync(ShardLease lease, CancellationToken cancellationToken)
    {
        var rows = await KeepTryingAsync(() => journal.LeftOpenAsync(lease.Shard, lease.Epoch, cancellationToken), lease.Shard, lease.Epoch, cancellationToken);
        Log.LookedFor(logger, lease.Shard, lease.Epoch, rows?.Count ?? 0);
        if (rows is not { Count: > 0 })
        {
            return;
        }

        Log.Resolving(logger, rows.Count, lease.Shard, lease.Epoch);
        await Task.WhenAll(rows.GroupBy(r => r.AccountId, StringComparer.Ordinal).Select(async account =>
        {
            foreach (var row in account)
            {
                await ResolveAsync(row, lease, cancellationToken);
            }
        }));
    }

    /// <summary>
    /// A delivery of <paramref name="command"/> found its row <c>sending</c> and no send of it in
    /// flight here: an earlier delivery handed it to TDLib and its worker stopped (or its client
    /// closed) before the outcome. Resolves it as the next owner would; never sends it again.
    /// </summary>
    public async Task ResolveAsync(SendMessage command, AccountRuntime runtime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(runtime);
        var row = await journal.OpenRowAsync(command.CommandId, cancellationToken);
        if (row is null)
        {
            return; // resolved meanwhile
        }

        await ResolveAsync(row, new ShardLease(runtime.Shard, runtime.Epoch), cancellationToken);
    }

    private async Task ResolveAsync(LeftOpen row, ShardLease lease, CancellationToken cancellationToken)
    {
        if (row.State != CommandState.Sending)
        {
            // Recorded by an owner that stopped before publishing it.
            if (row.Outcome is { } recorded && await KeepTryingAsync(() => journal.ClaimAsync(row.CommandId, row.Epoch, lease.Epoch, cancellationToken), lease.Shard, lease.Epoch, cancellationToken))
            {
                await PublishAsync(row.CommandId, JsonSerializer.Deserialize<SendResult>(recorded, Json)!, lease.Shard, lease.Epoch, duration: null, recordedOutcome: true, cancellationToken);
            }

            return;
        }

        var result = await CheckChatAsync(row, cancellationToken);
        Log.Resolved(logger, row.CommandId, row.AccountId, result.Sent is not null ? "sent (the chat shows it)" : "OUTCOME_UNKNOWN");
        await CompleteAsync(row.CommandId, lease.Shard, lease.Epoch, result, duration: null, cancellationToken);
    }

    /// <summary>What the chat says of a send left <c>sending</c>: sent when it shows the message, else unknown.</summary>
    private async Task<SendResult> CheckChatAsync(LeftOpen row, CancellationToken cancellationToken)
    {
        var runtime = registry.Find(row.AccountId);
        string why;
        if (runtime is null)
        {
            why = "The account does not run on the shard's new owner, so its chat could not be checked.";
        }
        else if (row.ChatId == 0 || row.TextHash is null)
        {
            why = "The row does not say where the message went, so its chat could not be checked.";
        }
        else
        {
            try
            {
                await runtime.WaitForStateAsync(AuthenticationState.Ready, options.Value.RestoreWait, cancellationToken);
                var since = row.CreatedAt - TimeSpan.FromMinutes(1);
                var known = await journal.SentIdsAsync(row.AccountId, row.ChatId, since, cancellationToken);
                if (await runtime.Sending.FindSentAsync(row.ChatId, row.TextHash, since, known, cancellationToken) is { } found)
                {
                    return new SendResult(new MessageSent(row.CommandId, row.AccountId, found.ChatId, found.Id, DateTimeOffset.FromUnixTimeSeconds(found.Date)), null);
                }

                why = "Its chat does not show the message (yet).";
            }
            catch (Exception e) when (e is TimeoutException or Tdlib.TdException || TransientFailure.Is(e))
            {
                why = $"Its chat could not be checked ({e.GetType().Name}).";
            }
        }

        return new SendResult(null, new MessageFailed(row.CommandId, row.AccountId, "OUTCOME_UNKNOWN", true, time.GetUtcNow())
        {
            Detail = "A worker stopped after handing this message to Telegram and before recording the outcome. " + why
                + " It may or may not have been delivered; not retried, so that it is never sent twice.",
        });
    }

    private async Task FollowAsync(SendMessage command, AccountRuntime runtime, Task<SendResult?> outcome, Func<TimeSpan> duration, TaskCompletionSource done)
    {
        try
        {
            SendResult? result;
            try
            {
                result = await outcome;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.ConfirmFailed(logger, e, command.CommandId);
                result = null;
            }

            if (result is null)
            {
                // The client closed before Telegram answered. A shard that moved on leaves the row to
                // its next owner; a client closed for the account alone (log-out) is resolved here.
                if (Holds(runtime.Shard, runtime.Epoch) && !_stopping.ContainsKey((runtime.Shard, runtime.Epoch)))
                {
                    result = new SendResult(null, new MessageFailed(command.CommandId, command.AccountId, "OUTCOME_UNKNOWN", true, time.GetUtcNow())
                    {
                        Detail = "The account's client closed before Telegram confirmed the message; it may or may not have been delivered. Not retried, so that it is never sent twice.",
                    });
                }
                else
                {
                    Log.LeftForNextOwner(logger, command.CommandId, runtime.Shard);
                    return;
                }
            }

            await CompleteAsync(command.CommandId, runtime.Shard, runtime.Epoch, result, duration, CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.ResolveFailed(logger, e, runtime.Shard);
        }
        finally
        {
            _inFlight.TryRemove(command.CommandId, out _);
            done.TrySetResult();
        }
    }

    /// <summary>Records <paramref name="result"/> for a <c>sending</c> row under <paramref name="epoch"/>, then publishes it.</summary>
    private async Task CompleteAsync(Guid commandId, int shard, long epoch, SendResult result, Func<TimeSpan>? duration, CancellationToken cancellationToken)
    {
        if (IsRetryable(result))
        {
            // Telegram refused it unsent, for now (FLOOD_WAIT, PEER_FLOOD, …): not a final outcome, so
            // the row goes and a retry under this command id sends it.
            if (await KeepTryingAsync(() => journal.ForgetAsync(commandId, epoch), shard, epoch, cancellationToken))
            {
                await PublishAsync(commandId, result, shard, epoch, duration, recordedOutcome: false, cancellationToken);
            }

            return;
        }

        var to = result.Sent is not null ? CommandState.Succeeded : result.Failed!.Reason == "OUTCOME_UNKNOWN" ? CommandState.Unknown : CommandState.Failed;
        if (await KeepTryingAsync(() => journal.FinishAsync(commandId, to, JsonSerializer.Serialize(result, Json), epoch), shard, epoch, cancellationToken))
        {
            await PublishAsync(commandId, result, shard, epoch, duration, recordedOutcome: true, cancellationToken);
        }
        else
        {
            Log.NotRecorded(logger, commandId, to);
        }
    }

    /// <summary>A failure that never reached the recipient and is not final: a retry with the same id executes (docs/messaging.md).</summary>
    internal static bool IsRetryable(SendResult result) => result.Failed is { Permanent: false } failed && failed.Reason != "OUTCOME_UNKNOWN";

    private async Task PublishAsync(Guid commandId, SendResult result, int shard, long epoch, Func<TimeSpan>? duration, bool recordedOutcome, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            if (!Holds(shard, epoch))
            {
                // The next owner of the shard publishes what is recorded and unpublished.
                Log.LeftForNextOwner(logger, commandId, shard);
                return;
            }

            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(PublishAttempt);
                using var watch = DroppedEvents.Watch();
                if (result.Sent is { } sent)
                {
                    await events.PublishAsync(sent, attempt.Token);
                }
                else
                {
                    await events.PublishAsync(result.Failed!, attempt.Token);
                }

                if (watch.Dropped)
                {
                    // The publish filter dropped it (the lease lapsed since Holds): it stays in the
                    // outbox, and the shard's next owner publishes it.
                    Log.LeftForNextOwner(logger, commandId, shard);
                    return;
                }

                break;
            }
            catch (Exception e) when ((e is OperationCanceledException or TimeoutException || TransientFailure.Is(e)) && !cancellationToken.IsCancellationRequested)
            {
                Log.PublishRetried(logger, commandId, e.GetType().Name, backoff);
                await Task.Delay(backoff, time, cancellationToken);
                backoff = backoff < TimeSpan.FromSeconds(5) ? backoff * 2 : backoff;
            }
        }

        Count(result, duration);
        if (recordedOutcome)
        {
            await KeepTryingAsync(async () =>
            {
                await journal.PublishedAsync(commandId);
                return true;
            }, shard, epoch, cancellationToken);
        }
    }

    private void Count(SendResult result, Func<TimeSpan>? duration)
    {
        if (result.Sent is not null)
        {
            metrics.Sent();
            if (duration is not null)
            {
                metrics.SendOutcome("sent", duration());
            }

            return;
        }

        var failed = result.Failed!;
        if (failed.Reason == "OUTCOME_UNKNOWN")
        {
            metrics.OutcomeUnknown();
            if (duration is not null)
            {
                metrics.SendOutcome("unknown", duration());
            }

            return;
        }

        metrics.Failed(failed.Reason);
        if (failed.Permanent && duration is not null)
        {
            metrics.SendOutcome("failed", duration());
        }
    }

    /// <summary>Whether this worker still holds <paramref name="shard"/> under <paramref name="epoch"/> (and its lease has not lapsed).</summary>
    private bool Holds(int shard, long epoch) => registry.EpochOf(shard) == epoch && !ownership.Value.IsLapsed(shard);

    /// <summary>Runs a journal step again after each infrastructure failure, with backoff, while the lease is held; default when it no longer is.</summary>
    private async Task<TResult?> KeepTryingAsync<TResult>(Func<Task<TResult>> write, int shard, long epoch, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                return await write();
            }
            catch (Exception e) when (TransientFailure.Is(e) && !cancellationToken.IsCancellationRequested)
            {
                if (!Holds(shard, epoch))
                {
                    return default;
                }

                Log.JournalWriteRetried(logger, e.GetType().Name, e.Message, backoff);
                await Task.Delay(backoff, time, cancellationToken);
                backoff = backoff < TimeSpan.FromSeconds(5) ? backoff * 2 : backoff;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.SendJournalRetried, Level = LogLevel.Warning, Message = "A send's journal write met an infrastructure failure ({Error}: {Detail}); retried in {Delay}")]
        internal static partial void JournalWriteRetried(ILogger logger, string error, string detail, TimeSpan delay);

        [LoggerMessage(EventId = EventIds.SendPublishRetried, Level = LogLevel.Warning, Message = "The outcome of SendMessage {CommandId} could not be published ({Error}); retried in {Delay}")]
        internal static partial void PublishRetried(ILogger logger, Guid commandId, string error, TimeSpan delay);

        [LoggerMessage(EventId = EventIds.SendLeftForNextOwner, Level = LogLevel.Information, Message = "SendMessage {CommandId}: shard {Shard} is no longer held here; its next owner resolves the outcome")]
        internal static partial void LeftForNextOwner(ILogger logger, Guid commandId, int shard);

        [LoggerMessage(EventId = EventIds.SendsResolving, Level = LogLevel.Information, Message = "Resolving {Count} sends that earlier owners of shard {Shard} left open (epoch now {Epoch})")]
        internal static partial void Resolving(ILogger logger, int count, int shard, long epoch);

        [LoggerMessage(EventId = EventIds.SendResolved, Level = LogLevel.Warning, Message = "SendMessage {CommandId} of account {AccountId}, left open by an earlier owner, resolved as {Outcome}")]
        internal static partial void Resolved(ILogger logger, Guid commandId, string accountId, string outcome);

        [LoggerMessage(EventId = EventIds.SendsLookedFor, Level = LogLevel.Debug, Message = "Looked for sends earlier owners of shard {Shard} left open (epoch {Epoch}): {Count}")]
        internal static partial void LookedFor(ILogger logger, int shard, long epoch, int count);

        [LoggerMessage(EventId = EventIds.SendResolveFailed, Level = LogLevel.Error, Message = "Resolving the open sends of shard {Shard} failed")]
        internal static partial void ResolveFailed(ILogger logger, Exception error, int shard);

        [LoggerMessage(EventId = EventIds.SendConfirmFailed, Level = LogLevel.Error, Message = "Following the outcome of SendMessage {CommandId} failed")]
        internal static partial void ConfirmFailed(ILogger logger, Exception error, Guid commandId);

        [LoggerMessage(EventId = EventIds.SendNotRecorded, Level = LogLevel.Warning, Message = "SendMessage {CommandId}: the journal row was no longer sending under this lease, so {To} was not recorded here")]
        internal static partial void NotRecorded(ILogger logger, Guid commandId, CommandState to);

        [LoggerMessage(EventId = EventIds.SendHandOverLeft, Level = LogLevel.Warning, Message = "Shard {Shard} handed over with {Count} sends still waiting for Telegram: its next owner resolves them")]
        internal static partial void HandOverLeft(ILogger logger, int shard, int count);
    }
}
