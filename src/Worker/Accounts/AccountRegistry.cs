using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using TgFleet.Contracts.Addressing;
using TgFleet.Storage.Accounts;
using TgFleet.Worker.Sessions;
using TgFleet.Worker.Sharding;

namespace TgFleet.Worker.Accounts;

/// <summary>
/// The runtimes of the accounts in the shards this worker owns. A shard's stored sessions are
/// restored when it starts and checkpointed (graceful) or dropped (lost, fenced) when it stops;
/// an account new to the shard gets a runtime at its first <c>Authenticate</c>.
/// </summary>
public sealed partial class AccountRegistry : IAsyncDisposable
{
    private const string ShardSessionsSql = "SELECT account_id, shard, epoch, key_id, blob FROM sessions WHERE shard = @Shard";

    private readonly ConcurrentDictionary<string, AccountRuntime> _runtimes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, ShardLease> _leases = new();
    // One start of an account at a time (a shard's restore and an Authenticate may race), by stripe:
    // accounts of different stripes start side by side.
    private readonly SemaphoreSlim[] _starting = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];
    // Pool proxies picked for accounts still starting: they count as used, so that accounts started
    // side by side spread over the pool as those started one by one would.
    private readonly Dictionary<string, Contracts.Accounts.ProxySettings> _picked = new(StringComparer.Ordinal);
    private readonly Lock _pickSync = new();
    private readonly int _restoreConcurrency;
    private readonly NpgsqlDataSource _db;
    private readonly AccountRuntimeServices _services;
    private readonly int _shardCount;
    private readonly ILogger _logger;

    public AccountRegistry(NpgsqlDataSource db, AccountRuntimeServices services, IOptions<ShardOptions> shards, IOptions<TgFleet.Worker.Sessions.SessionOptions> sessions)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(sessions);
        _db = db;
        _services = services;
        _shardCount = shards.Value.Count;
        _restoreConcurrency = sessions.Value.RestoreConcurrency;
        _logger = services.Loggers.CreateLogger<AccountRegistry>();
        services.Metrics.TrackClients(() => _runtimes.Count);
        services.Metrics.TrackAccounts(() => _runtimes.Values
            .GroupBy(r => r.Status.Current is { } status ? AccountRowStatus.Of(status).Name : "logging_in", StringComparer.Ordinal)
            .Select(g => new System.Diagnostics.Metrics.Measurement<int>(g.Count(), new KeyValuePair<string, object?>("status", g.Key))));
    }

    /// <summary>The runtimes running now.</summary>
    public int Count => _runtimes.Count;

    /// <summary>A snapshot of the runtimes running now.</summary>
    public IReadOnlyCollection<AccountRuntime> Running => [.. _runtimes.Values];

    /// <summary>The shard of <paramref name="accountId"/> under this fleet's shard count.</summary>
    public int ShardOf(string accountId) => ShardAddressing.ShardOf(accountId, _shardCount);

    /// <summary>The running account, or null.</summary>
    public AccountRuntime? Find(string accountId) => _runtimes.GetValueOrDefault(accountId);

    /// <summary>Whether this worker holds the lease of <paramref name="shard"/>.</summary>
    public bool Owns(int shard) => _leases.ContainsKey(shard);

    /// <summary>The epoch of the lease of <paramref name="shard"/> this worker holds, or null.</summary>
    public long? EpochOf(int shard) => _leases.TryGetValue(shard, out var lease) ? lease.Epoch : null;

    /// <summary>Takes <paramref name="lease"/> and restores every stored session of its shard.</summary>
    public async Task StartShardAsync(ShardLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        _leases[lease.Shard] = lease;
        await using var conn = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await conn.QueryAsync<(string AccountId, int Shard, long Epoch, string KeyId, byte[] Blob)>(
            new CommandDefinition(ShardSessionsSql, new { lease.Shard }, cancellationToken: cancellationToken));
        await conn.DisposeAsync();
        // Each restore waits mostly on TDLib and the database: Sessions:RestoreConcurrency side by side.
        await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = _restoreConcurrency, CancellationToken = cancellationToken }, async (row, ct) =>
        {
            var stored = new StoredSession(row.AccountId, row.Shard, row.Epoch, row.KeyId, row.Blob);
            try
            {
                await StartAsync(stored.AccountId, lease, stored, ct);
                _services.Sessions.Metrics.Restore(ok: true);
            }
            catch (Exception e) when (e is SessionDecryptionException or InvalidDataException or Tdlib.TdException or TimeoutException)
            {
                _services.Sessions.Metrics.Restore(ok: false);
                Log.RestoreFailed(_logger, stored.AccountId, lease.Shard, e);
            }
        });
    }

    /// <summary>Stops the shard's runtimes: graceful ones checkpoint, others write nothing.</summary>
    public async Task StopShardAsync(ShardLease lease, bool graceful, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var stopping = _runtimes.Values.Where(r => r.Shard == lease.Shard).ToList();
        await Task.WhenAll(stopping.Select(r => r.StopAsync(graceful, cancellationToken)));
        foreach (var runtime in stopping)
        {
            _runtimes.TryRemove(runtime.AccountId, out _);
            await runtime.DisposeAsync();
        }

        _leases.TryRemove(lease.Shard, out _);
    }

    /// <summary>The account's runtime, started (restoring its stored session, if any) when it is not running yet.</summary>
    /// <exception cref="InvalidOperationException">This worker does not own the account's shard.</exception>
    public async Task<AccountRuntime> GetOrStartAsync(string accountId, CancellationToken cancellationToken)
    {
        if (_runtimes.TryGetValue(accountId, out var running))
        {
            if (!running.IsClosed)
            {
                return running;
            }

            // Logged out or banned: a new login needs a new client.
            await RemoveAsync(accountId, cancellationToken);
        }

        var shard = ShardOf(accountId);
        if (!_leases.TryGetValue(shard, out var lease))
        {
            throw new InvalidOperationException($"This worker does not own shard {shard}.");
        }

        var stored = await _services.Sessions.LoadAsync(accountId, cancellationToken);
        return await StartAsync(accountId, lease, stored, cancellationToken);
    }

    /// <summary>Stops and forgets the account's runtime (after a log-out), writing nothing.</summary>
    public async Task RemoveAsync(string accountId, CancellationToken cancellationToken)
    {
        if (_runtimes.TryRemove(accountId, out var runtime))
        {
            await runtime.StopAsync(graceful: false, cancellationToken);
            await runtime.DisposeAsync();
        }
    }

    /// <summary>Stops every runtime without writing (the shards' owner stops them gracefully first).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var runtime in _runtimes.Values)
        {
            await runtime.DisposeAsync();
        }

        _runtimes.Clear();
        foreach (var stripe in _starting)
        {
            stripe.Dispose();
        }
    }

    private async Task<AccountRuntime> StartAsync(string accountId, ShardLease lease, StoredSession? stored, CancellationToken cancellationToken)
    {
        var stripe = _starting[(int)((uint)StringComparer.Ordinal.GetHashCode(accountId) % (uint)_starting.Length)];
        await stripe.WaitAsync(cancellationToken);
        try
        {
            if (_runtimes.TryGetValue(accountId, out var running))
            {
                return running;
            }

            var runtime = new AccountRuntime(accountId, lease.Shard, _services);
            var (proxy, reason) = await ProxyForAsync(accountId, cancellationToken);
            try
            {
                await runtime.StartAsync(stored, lease.Epoch, cancellationToken, proxy, reason);
            }
            catch
            {
                await runtime.DisposeAsync();
                throw;
            }

            _runtimes[accountId] = runtime;
            return runtime;
        }
        finally
        {
            lock (_pickSync)
            {
                _picked.Remove(accountId);
            }

            stripe.Release();
        }
    }

    /// <summary>The account's own proxy while it is healthy, else the least used healthy one of the pool, else its own (or none).</summary>
    private async Task<(Contracts.Accounts.ProxySettings? Proxy, string? Reason)> ProxyForAsync(string accountId, CancellationToken cancellationToken)
    {
        var proxies = _services.Proxies;
        var own = await proxies.LoadAsync(accountId, cancellationToken);
        if (own is not null && proxies.IsHealthy(own))
        {
            return (own, "SET");
        }

        Contracts.Accounts.ProxySettings? pooled;
        lock (_pickSync)
        {
            pooled = proxies.PickFromPool(_runtimes.Values.Select(r => r.Proxy.Current).Concat(_picked.Values));
            if (pooled is not null)
            {
                _picked[accountId] = pooled;
            }
        }

        return pooled is not null ? (pooled, own is null ? "POOL_ASSIGNED" : "FAILOVER") : (own, own is null ? null : "SET");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.RestoreFailed, Level = LogLevel.Error, Message = "Account {AccountId} of shard {Shard} could not be restored")]
        internal static partial void RestoreFailed(ILogger logger, string accountId, int shard, Exception error);
    }
}
