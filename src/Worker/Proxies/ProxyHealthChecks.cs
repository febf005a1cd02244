using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using TgFleet.Contracts.Accounts;
using TgFleet.Tdlib;
using TgFleet.Worker.Accounts;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Proxies;

/// <summary>
/// Every <see cref="ProxyOptions.CheckInterval"/>, tests each proxy of the pool and each proxy an
/// account of this worker uses (<c>testProxy</c> on a probe client that never logs in), and moves
/// every account whose proxy failed to the least used healthy proxy of the pool
/// (<see cref="AccountProxyChanged"/> <c>FAILOVER</c>). With no healthy proxy left, accounts stay
/// where they are (their status shows Connecting) and it is logged.
/// </summary>
public sealed partial class ProxyHealthChecks(AccountRegistry registry, AccountProxies proxies, TdClientManager manager, IOptions<ProxyOptions> options,
    TimeProvider time, IMeterFactory meters, ILogger<ProxyHealthChecks> logger) : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ProxyMetrics _metrics = new(meters);
    private TdClient? _probe;

    /// <summary>One round: test, then fail over. Returns the number of accounts moved.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var running = registry.Running;
            var inUse = proxies.Pool.Concat(running.Select(r => r.Proxy.Current).OfType<ProxySettings>())
                .DistinctBy(AccountProxies.Key, StringComparer.OrdinalIgnoreCase).ToList();
            var healthyCount = 0;
            foreach (var proxy in inUse)
            {
                var healthy = await TestAsync(proxy, cancellationToken);
                healthyCount += healthy ? 1 : 0;
                if (proxies.Report(proxy, healthy))
                {
                    Log.HealthChanged(logger, AccountProxies.Key(proxy), healthy ? "healthy" : "unreachable");
                }
            }

            _metrics.Checked(healthyCount, inUse.Count - healthyCount);

            var moved = 0;
            foreach (var runtime in running.Where(r => r.Proxy.Current is { } p && !proxies.IsHealthy(p) && !r.IsClosed))
            {
                var failed = runtime.Proxy.Current!;
                var target = proxies.PickFromPool(registry.Running.Select(r => r.Proxy.Current));
                if (target is null)
                {
                    Log.NoHealthyProxy(logger, runtime.AccountId, AccountProxies.Key(failed));
                    continue;
                }

                try
                {
                    await runtime.Proxy.UseProxyAsync(target, "FAILOVER", previous: AccountProxies.Key(failed), cancellationToken: cancellationToken);
                    moved++;
                    _metrics.FailedOver();
                }
                catch (Exception e) when (e is TdException or TimeoutException)
                {
                    Log.FailoverFailed(logger, runtime.AccountId, e.Message);
                }
            }

            return moved;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RunOnceAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            if (_probe is not null)
            {
                await _probe.DisposeAsync();
            }
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    private async Task<bool> TestAsync(ProxySettings proxy, CancellationToken cancellationToken)
    {
        _probe ??= manager.CreateClient();
        var timeout = options.Value.TestTimeout;
        try
        {
            await _probe.SendAsync(new Td.TestProxy
            {
                Proxy = AccountProxyRoute.TdProxy(proxy),
                DcId = 2,
                Timeout = timeout.TotalSeconds,
            }, timeout + TimeSpan.FromSeconds(2), cancellationToken);
            return true;
        }
        catch (Exception e) when (e is TdException or TimeoutException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ProxyHealthChanged, Level = LogLevel.Warning, Message = "Proxy {Proxy} is {Health}")]
        internal static partial void HealthChanged(ILogger logger, string proxy, string health);

        [LoggerMessage(EventId = EventIds.NoHealthyProxy, Level = LogLevel.Error, Message = "Account {AccountId} stays on unreachable proxy {Proxy}: the pool has no healthy proxy")]
        internal static partial void NoHealthyProxy(ILogger logger, string accountId, string proxy);

        [LoggerMessage(EventId = EventIds.ProxyFailoverFailed, Level = LogLevel.Error, Message = "Account {AccountId} could not move to another proxy: {Error}")]
        internal static partial void FailoverFailed(ILogger logger, string accountId, string error);
    }
}
