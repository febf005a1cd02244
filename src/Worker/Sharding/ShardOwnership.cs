using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Npgsql;

namespace TgFleet.Worker.Sharding;

/// <summary>
/// Holds this worker's fair share of the shard leases: heartbeats, renews, rebalances when workers
/// join or leave, fences itself when it cannot renew, and hands its shards over on shutdown.
/// </summary>
public sealed partial class ShardOwnership : BackgroundService
{
    private readonly ShardLeaseStore _store;
    private readonly IShardHost _host;
    private readonly ShardOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ShardOwnership> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Held> _held = [];
    private readonly HashSet<int> _lapsed = [];
    private TaskCompletionSource _fenceNow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Counter<long> _renewals;
    private readonly Counter<long> _fenced;
    private readonly Counter<long> _moves;
    private readonly Counter<long> _lost;
    private bool _shardsEnsured;

    public ShardOwnership(ShardLeaseStore store, IShardHost host, IOptions<ShardOptions> options, TimeProvider time,
        IMeterFactory meters, ILogger<ShardOwnership> logger)
    {
        _store = store;
        _host = host;
        _options = options.Value;
        _time = time;
        _logger = logger;
        // AddShardOwnership gives every process its id (the configured one, or one made at start).
        WorkerId = _options.WorkerId is { Length: > 0 } id ? id
            : throw new ArgumentException("ShardOptions.WorkerId is empty: register ShardOwnership with AddShardOwnership.", nameof(options));
        var meter = meters.Create("TgFleet.Worker.Sharding");
        meter.CreateObservableGauge("tgfleet.shards.owned", () => Owned.Count, "{shard}", "Shards whose lease this worker holds.");
        _renewals = meter.CreateCounter<long>("tgfleet.shard.lease.renewals", "{renewal}", "Lease renewal rounds, by outcome.");
        _fenced = meter.CreateCounter<long>("tgfleet.shards.fenced", "{shard}", "Shards stopped because their lease could not be renewed in time.");
        _moves = meter.CreateCounter<long>("tgfleet.shard.transitions", "{transition}", "Shards started and stopped, by kind.");
        _lost = meter.CreateCounter<long>("tgfleet.shard.leases.lost", "{lease}", "Held leases a renewal found taken by another worker or expired.");
        meter.CreateObservableGauge("tgfleet.shard.lease.age", LeaseAge, "s", "Time since the least recently renewed lease this worker holds was renewed (0 with none).");
        meter.CreateObservableGauge("tgfleet.shards.configured", () => _options.Count, "{shard}", "The fleet's shard count (Shards:Count) as this worker sees it.");
        // Present from the start at 0, so that rates and alerts on them have a series before the first event.
        _fenced.Add(0);
        _lost.Add(0);
    }

    /// <summary>This worker's id in the <c>workers</c> table and in lease owners.</summary>
    public string WorkerId { get; }

    /// <summary>The leases held and started now.</summary>
    public IReadOnlyCollection<ShardLease> Owned
    {
        get
        {
            lock (_gate)
            {
                return _held.Values.Where(h => h.Started).Select(h => h.Lease).OrderBy(l => l.Shard).ToList();
            }
        }
    }

    /// <summary>
    /// True when this worker must not act for <paramref name="shard"/>'s accounts although it held
    /// the shard: its lease was lost or fenced, or it was not renewed within
    /// <c>LeaseTtl − FenceMargin</c> on the monotonic clock. The last is true the instant a paused
    /// process resumes, before any fence could run: consumers and publishers ask this first
    /// (docs/fencing.md). False for a shard this worker never held, and during a graceful hand-over.
    /// </summary>
    public bool IsLapsed(int shard)
    {
        lock (_gate)
        {
            return _lapsed.Contains(shard)
                || (_held.TryGetValue(shard, out var held) && _time.GetElapsedTime(held.RenewedAt) >= _options.LeaseTtl - _options.FenceMargin);
        }
    }

    /// <summary>Asks the fence loop to run now (a consumer found a shard lapsed).</summary>
    public void FenceNow() => _fenceNow.TrySetResult();

    /// <summary>True once the first round (heartbeat, acquisition) has completed.</summary>
    public bool Joined { get; private set; }

    /// <summary>False when the last lease round could not write to the database (heartbeat, renewal or acquisition failed).</summary>
    public bool DatabaseWritable { get; private set; }

    /// <summary>
    /// True when the last round left this worker holding its fair share of the shards (or every
    /// shard it could take, the others being held by live workers, if that is at least
    /// shards ÷ workers rounded down) and every held shard is started,
    /// except those taken from an expired lease that wait for the previous owner's connections to
    /// go (they are held; their accounts start when that is safe) — as long as at least one held
    /// shard is started: a worker whose every shard still waits serves nothing yet.
    /// </summary>
    public bool Settled
    {
        get
        {
            lock (_gate)
            {
                return _holdsShare && _held.Values.All(h => h.Started || h.StartAt > 0)
                    && (_held.Count == 0 || _held.Values.Any(h => h.Started));
            }
        }
    }

    private bool _holdsShare;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var fencing = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var fenceLoop = FenceLoopAsync(fencing.Token);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await RoundAsync(stoppingToken);
                await Task.Delay(_options.RenewInterval, _time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: StopAsync hands the shards over.
        }
        finally
        {
            await fencing.CancelAsync();
            await fenceLoop;
        }
    }

    /// <summary>Hands every shard over (drain, checkpoint, release) and leaves.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Log.Draining(_logger, WorkerId, Owned.Count);
        try
        {
            await _store.HeartbeatAsync(WorkerId, draining: true, _options.LeaseTtl, cancellationToken);
        }
        catch (NpgsqlException e)
        {
            Log.LeaseRenewalFailed(_logger, e.Message);
        }

        foreach (var held in Snapshot())
        {
            await StopAndReleaseAsync(held, ShardStopReason.ShuttingDown, cancellationToken);
        }

        try
        {
            await _store.LeaveAsync(WorkerId, cancellationToken);
        }
        catch (NpgsqlException e)
        {
            Log.LeaseRenewalFailed(_logger, e.Message);
        }
    }

    /// <summary>One round: heartbeat, renew, rebalance. Internal for tests that drive rounds by hand.</summary>
    internal async Task RoundAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        IReadOnlyList<string> live;
        try
        {
            live = await _store.HeartbeatAsync(WorkerId, draining: false, _options.LeaseTtl, cancellationToken);
            await RenewHeldAsync(started, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // The fence loop stops the shards before their leases can expire.
            DatabaseWritable = false;
            _renewals.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            Log.LeaseRenewalFailed(_logger, e.Message);
            return;
        }

        try
        {
            if (!_shardsEnsured)
            {
                await _store.EnsureShardsAsync(_options.Count, cancellationToken);
                _shardsEnsured = true;
            }

            await RebalanceAsync(live, started, cancellationToken);
            await StartWaitingAsync(cancellationToken);
            Joined = true;
            DatabaseWritable = true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // A database blip must not end the worker: the next round tries again.
            DatabaseWritable = false;
            Log.LeaseRenewalFailed(_logger, e.Message);
        }
    }

    /// <summary>Renews every held lease; a lease not renewed was lost and its shard stops at once.</summary>
    private async Task RenewHeldAsync(long started, CancellationToken cancellationToken)
    {
        var held = Snapshot();
        var renewed = await _store.RenewAsync(WorkerId, held.Select(h => h.Lease).ToList(), _options.LeaseTtl,
            _options.LeaseTtl - _options.FenceMargin, cancellationToken);
        _renewals.Add(1, new KeyValuePair<string, object?>("outcome", "ok"));
        foreach (var h in held)
        {
            if (renewed.Contains(h.Lease.Shard))
            {
                h.RenewedAt = started;
            }
            else
            {
                Log.ShardLost(_logger, h.Lease.Shard, h.Lease.Epoch);
                _lost.Add(1);
                await StopShardAsync(h, ShardStopReason.Lost, cancellationToken);
            }
        }
    }

    private async Task RebalanceAsync(IReadOnlyList<string> live, long started, CancellationToken cancellationToken)
    {
        var workers = Math.Max(1, live.Count + (live.Contains(WorkerId) ? 0 : 1));
        var target = (_options.Count + workers - 1) / workers;
        var held = Snapshot();
        if (held.Count > target)
        {
            Log.Rebalancing(_logger, held.Count, target, workers);
            // Give back the highest shards; the others keep theirs, so moves stay few.
            foreach (var extra in held.OrderByDescending(h => h.Lease.Shard).Take(held.Count - target))
            {
                await StopAndReleaseAsync(extra, ShardStopReason.Rebalanced, cancellationToken);
            }

            _holdsShare = true;
            return;
        }

        _holdsShare = held.Count == target;
        if (held.Count < target)
        {
            var free = await _store.FreeShardsAsync(_options.Count, cancellationToken);
            var wanted = free.OrderBy(_ => Random.Shared.Next()).Take(target - held.Count).ToList();
            var acquiredAt = _time.GetTimestamp();
            var acquired = await _store.AcquireAsync(WorkerId, wanted, _options.LeaseTtl, _options.DisconnectDelay, cancellationToken);
            lock (_gate)
            {
                // All of them at once: each is fenced from its acquisition, not from when its turn to start comes.
                foreach (var won in acquired)
                {
                    _held[won.Lease.Shard] = new Held(won.Lease)
                    {
                        RenewedAt = acquiredAt,
                        AcquiredAt = acquiredAt,
                        StartAt = won.TakenFromExpired ? acquiredAt + (long)(won.Wait.TotalSeconds * _time.TimestampFrequency) : 0,
                    };
                    _lapsed.Remove(won.Lease.Shard);
                }
            }

            // Its share, or every shard that was free (the rest are held by live workers) as long as
            // that is at least the smaller fair share: a worker that finds every shard taken (all
            // leases lost in a database outage and retaken by another worker first) is not in
            // service until the rebalance gives it shards.
            var least = _options.Count / workers;
            _holdsShare = held.Count + acquired.Count >= target
                || (acquired.Count == wanted.Count && wanted.Count == free.Count && held.Count + acquired.Count >= least);

            var renewedAt = started;
            foreach (var won in acquired)
            {
                // Starting shards (restoring their accounts) can take longer than a renewal interval:
                // keep renewing in between, or the held leases would fence themselves.
                if (_time.GetElapsedTime(renewedAt) >= _options.RenewInterval)
                {
                    renewedAt = _time.GetTimestamp();
                    try
                    {
                        await RenewHeldAsync(renewedAt, cancellationToken);
                    }
                    catch (Exception e) when (e is NpgsqlException or TimeoutException)
                    {
                        // The fence loop stops the shards before their leases can expire.
                        _renewals.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
                        Log.LeaseRenewalFailed(_logger, e.Message);
                    }
                }

                if (won.TakenFromExpired)
                {
                    // Its previous owner may be paused with its connections open: start once they are
                    // recorded closed, or once Telegram has dropped them (StartWaitingAsync).
                    Log.TakeOverWaiting(_logger, won.Lease.Shard, won.Lease.Epoch, won.Wait.TotalSeconds);
                    continue;
                }

                await StartHeldAsync(won.Lease, cancellationToken);
            }
        }
    }

    /// <summary>Starts the held shards taken from an expired lease whose wait is over or whose old connections are recorded closed.</summary>
    private async Task StartWaitingAsync(CancellationToken cancellationToken)
    {
        var waiting = Snapshot().Where(h => h is { Started: false, StartAt: > 0 }).ToList();
        if (waiting.Count == 0)
        {
            return;
        }

        var now = _time.GetTimestamp();
        var closed = await _store.PreviousClosedAsync(WorkerId, waiting.Where(h => h.StartAt > now).Select(h => h.Lease.Shard).ToList(), cancellationToken);
        foreach (var held in waiting.Where(h => h.StartAt <= now || closed.Contains(h.Lease.Shard)))
        {
            var seconds = _time.GetElapsedTime(held.AcquiredAt).TotalSeconds;
            var why = closed.Contains(held.Lease.Shard) ? "the previous owner's connections are recorded closed" : "the disconnect delay is over";
            Log.TakenOver(_logger, held.Lease.Shard, held.Lease.Epoch, seconds, why);
            await StartHeldAsync(held.Lease, cancellationToken);
        }
    }

    /// <summary>Brings a held shard up (unless it was fenced or lost meanwhile).</summary>
    private async Task StartHeldAsync(ShardLease lease, CancellationToken cancellationToken)
    {
        Held? entry;
        lock (_gate)
        {
            entry = _held.GetValueOrDefault(lease.Shard);
        }

        if (entry is null || entry.Lease != lease || entry.Started)
        {
            return; // fenced or lost before its turn: never started
        }

        try
        {
            await _host.StartAsync(lease, cancellationToken);
            bool stillHeld;
            lock (_gate)
            {
                entry.Started = true;
                stillHeld = _held.TryGetValue(lease.Shard, out var current) && ReferenceEquals(current, entry);
            }

            if (!stillHeld)
            {
                // Fenced or lost while it started: stop what was just started, or it would run without a lease.
                await _host.StopAsync(lease, ShardStopReason.Fenced, CancellationToken.None);
                return;
            }

            _moves.Add(1, new KeyValuePair<string, object?>("kind", "started"));
            Log.ShardAcquired(_logger, lease.Shard, lease.Epoch);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Give it back so that another worker (or a later round) can try.
            Log.ShardStartFailed(_logger, e, lease.Shard);
            await StopAndReleaseAsync(entry, ShardStopReason.Rebalanced, cancellationToken);
        }
    }

    private async Task FenceLoopAsync(CancellationToken cancellationToken)
    {
        var limit = _options.LeaseTtl - _options.FenceMargin;
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(_options.FenceMargin.TotalMilliseconds / 4, 50, 500));
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var woken = _fenceNow.Task;
                await Task.WhenAny(Task.Delay(tick, _time, cancellationToken), woken);
                cancellationToken.ThrowIfCancellationRequested();
                if (woken.IsCompleted)
                {
                    _fenceNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                foreach (var h in Snapshot())
                {
                    if (_time.GetElapsedTime(h.RenewedAt) >= limit)
                    {
                        Log.ShardFenced(_logger, h.Lease.Shard, h.Lease.Epoch, limit.TotalSeconds);
                        _fenced.Add(1);
                        await StopShardAsync(h, ShardStopReason.Fenced, CancellationToken.None);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task StopAndReleaseAsync(Held held, ShardStopReason reason, CancellationToken cancellationToken)
    {
        if (!await StopShardAsync(held, reason, cancellationToken))
        {
            return;
        }

        try
        {
            await _store.ReleaseAsync(WorkerId, held.Lease, cancellationToken);
            Log.ShardReleased(_logger, held.Lease.Shard, held.Lease.Epoch, reason);
        }
        catch (NpgsqlException e)
        {
            // It expires by itself within the TTL.
            Log.LeaseRenewalFailed(_logger, e.Message);
        }
    }

    /// <summary>Removes the shard from the held set (once) and stops its work; false when another path already did.</summary>
    private async Task<bool> StopShardAsync(Held held, ShardStopReason reason, CancellationToken cancellationToken)
    {
        bool started;
        lock (_gate)
        {
            if (!_held.TryGetValue(held.Lease.Shard, out var current) || !ReferenceEquals(current, held))
            {
                return false;
            }

            _held.Remove(held.Lease.Shard);
            if (reason is ShardStopReason.Lost or ShardStopReason.Fenced)
            {
                _lapsed.Add(held.Lease.Shard);
            }

            started = held.Started;
        }

        if (started)
        {
            try
            {
                await _host.StopAsync(held.Lease, reason, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.ShardStartFailed(_logger, e, held.Lease.Shard);
            }

            _moves.Add(1, new KeyValuePair<string, object?>("kind", reason.ToString().ToLowerInvariant()));
        }

        return true;
    }

    private double LeaseAge()
    {
        var oldest = Snapshot().Select(h => h.RenewedAt).DefaultIfEmpty(0).Min();
        return oldest == 0 ? 0 : _time.GetElapsedTime(oldest).TotalSeconds;
    }

    private List<Held> Snapshot()
    {
        lock (_gate)
        {
            return [.. _held.Values];
        }
    }

    private sealed class Held(ShardLease lease)
    {
        public ShardLease Lease { get; } = lease;

        /// <summary>Monotonic timestamp of the start of the last successful renewal (or acquisition).</summary>
        public long RenewedAt { get; set; }

        public bool Started { get; set; }

        /// <summary>Monotonic timestamp of the acquisition.</summary>
        public long AcquiredAt { get; init; }

        /// <summary>Taken from an expired lease: when to start at the latest (0: not waiting).</summary>
        public long StartAt { get; init; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ShardAcquired, Level = LogLevel.Information, Message = "Acquired shard {Shard} at epoch {Epoch}")]
        internal static partial void ShardAcquired(ILogger logger, int shard, long epoch);

        [LoggerMessage(EventId = EventIds.ShardReleased, Level = LogLevel.Information, Message = "Released shard {Shard} (epoch {Epoch}): {Reason}")]
        internal static partial void ShardReleased(ILogger logger, int shard, long epoch, ShardStopReason reason);

        [LoggerMessage(EventId = EventIds.ShardLost, Level = LogLevel.Warning, Message = "Lost shard {Shard} (epoch {Epoch}): its lease was taken or expired")]
        internal static partial void ShardLost(ILogger logger, int shard, long epoch);

        [LoggerMessage(EventId = EventIds.ShardFenced, Level = LogLevel.Error, Message = "Fenced shard {Shard} (epoch {Epoch}): no renewal for {Seconds} s, stopped before its lease could expire")]
        internal static partial void ShardFenced(ILogger logger, int shard, long epoch, double seconds);

        [LoggerMessage(EventId = EventIds.LeaseRenewalFailed, Level = LogLevel.Warning, Message = "Lease round failed: {Error}")]
        internal static partial void LeaseRenewalFailed(ILogger logger, string error);

        [LoggerMessage(EventId = EventIds.ShardStartFailed, Level = LogLevel.Error, Message = "Shard {Shard} failed to start or stop")]
        internal static partial void ShardStartFailed(ILogger logger, Exception exception, int shard);

        [LoggerMessage(EventId = EventIds.Rebalancing, Level = LogLevel.Information, Message = "Rebalancing: holding {Held} shards, fair share {Target} among {Workers} workers")]
        internal static partial void Rebalancing(ILogger logger, int held, int target, int workers);

        [LoggerMessage(EventId = EventIds.TakeOverWaiting, Level = LogLevel.Warning, Message = "Shard {Shard} (epoch {Epoch}) was taken from an expired lease whose connections are not recorded closed: its accounts start when they are, or in {Seconds} s at the latest")]
        internal static partial void TakeOverWaiting(ILogger logger, int shard, long epoch, double seconds);

        [LoggerMessage(EventId = EventIds.TakenOver, Level = LogLevel.Information, Message = "Shard {Shard} (epoch {Epoch}) starts {Seconds} s after its acquisition: {Why}")]
        internal static partial void TakenOver(ILogger logger, int shard, long epoch, double seconds, string why);

        [LoggerMessage(EventId = EventIds.Draining, Level = LogLevel.Information, Message = "Worker {WorkerId} draining: handing over {Count} shards")]
        internal static partial void Draining(ILogger logger, string workerId, int count);
    }
}
