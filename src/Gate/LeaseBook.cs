using Dapper;
using Npgsql;

namespace TgFleet.Gate;

/// <summary>One lease of the gate's worker as PostgreSQL last showed it.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="Epoch">Its current epoch.</param>
/// <param name="ClosedEpoch">The highest epoch whose connections are recorded closed.</param>
/// <param name="RemainingSeconds">How long the lease has left by the database clock (0: expired).</param>
internal sealed record LeaseRow(int Shard, long Epoch, long ClosedEpoch, double RemainingSeconds);

/// <summary>
/// Which of the worker's shard leases are valid NOW, judged on the monotonic clock: a lease seen
/// in PostgreSQL with R seconds left is valid until (the moment the query was sent) + R, so the
/// answer stays true after the process was paused (the clock kept counting), and a gate that
/// cannot reach the database stops trusting a lease when it would have expired.
/// </summary>
internal sealed class LeaseBook(NpgsqlDataSource db, string workerId, TimeProvider time) : IDisposable
{
    private const string LeasesSql = """
        SELECT shard, epoch, closed_epoch AS ClosedEpoch,
               CASE WHEN expires_at > clock_timestamp() THEN EXTRACT(EPOCH FROM expires_at - clock_timestamp())::float8 ELSE 0 END AS RemainingSeconds
        FROM shard_leases WHERE owner = @WorkerId
        """;

    private static readonly TimeSpan MinimumRefreshSpacing = TimeSpan.FromMilliseconds(50);
    private readonly Lock _sync = new();
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private Dictionary<int, (long Epoch, long Until)> _valid = [];
    private long _refreshedAt;
    private long _lastSent;
    private IReadOnlyList<LeaseRow>? _last;

    /// <summary>The worker whose leases these are.</summary>
    public string WorkerId { get; } = workerId;

    /// <summary>Monotonic timestamp of the last successful read (0: never).</summary>
    public long RefreshedAt => Interlocked.Read(ref _refreshedAt);

    /// <summary>True while <paramref name="epoch"/> of <paramref name="shard"/> is valid on the monotonic clock.</summary>
    public bool IsValid(int shard, long epoch)
    {
        lock (_sync)
        {
            return _valid.TryGetValue(shard, out var lease) && lease.Epoch == epoch && time.GetTimestamp() < lease.Until;
        }
    }

    /// <summary>The epoch of <paramref name="shard"/>'s lease if it is valid now, else null.</summary>
    public long? ValidEpoch(int shard)
    {
        lock (_sync)
        {
            return _valid.TryGetValue(shard, out var lease) && time.GetTimestamp() < lease.Until ? lease.Epoch : null;
        }
    }

    /// <summary>
    /// The valid epoch of <paramref name="shard"/>, reading the leases again first when none is
    /// known (a lease the worker has just acquired). Null when it cannot be confirmed.
    /// </summary>
    public async Task<long?> ConfirmAsync(int shard, CancellationToken cancellationToken)
    {
        if (ValidEpoch(shard) is { } epoch)
        {
            return epoch;
        }

        try
        {
            // TDLib's retries must not turn into a query each: at most one read per spacing.
            var since = RefreshedAt == 0 ? MinimumRefreshSpacing : time.GetElapsedTime(RefreshedAt);
            if (since < MinimumRefreshSpacing)
            {
                await Task.Delay(MinimumRefreshSpacing - since, time, cancellationToken);
            }

            await RefreshAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return null;
        }

        return ValidEpoch(shard);
    }

    /// <summary>
    /// Reads the worker's leases (one statement; concurrent callers share one read) and returns
    /// them, expired ones included.
    /// </summary>
    public async Task<IReadOnlyList<LeaseRow>> RefreshAsync(CancellationToken cancellationToken)
    {
        var entered = time.GetTimestamp();
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_lastSent >= entered && _last is { } shared)
            {
                return shared; // another caller read them, after this one asked, while it waited
            }

            var sent = time.GetTimestamp();
            await using var conn = await db.OpenConnectionAsync(cancellationToken);
            var rows = (await conn.QueryAsync<LeaseRow>(new CommandDefinition(LeasesSql, new { WorkerId }, cancellationToken: cancellationToken))).AsList();
            var valid = new Dictionary<int, (long, long)>();
            foreach (var row in rows)
            {
                if (row.RemainingSeconds > 0 && row.ClosedEpoch < row.Epoch)
                {
                    valid[row.Shard] = (row.Epoch, sent + (long)(row.RemainingSeconds * time.TimestampFrequency));
                }
            }

            lock (_sync)
            {
                _valid = valid;
            }

            _last = rows;
            _lastSent = sent;
            Interlocked.Exchange(ref _refreshedAt, time.GetTimestamp());
            return rows;
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();
}
