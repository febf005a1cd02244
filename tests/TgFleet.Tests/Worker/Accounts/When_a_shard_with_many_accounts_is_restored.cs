using Microsoft.Extensions.Options;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;
using TgFleet.Tests.Simulator;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Proxies;
using TgFleet.Worker.Sessions;
using TgFleet.Worker.Sharding;

namespace TgFleet.Tests.Worker.Accounts;

/// <summary>
/// A shard's stored sessions are restored side by side (<c>Sessions:RestoreConcurrency</c>), as
/// when a shard is taken over from a dead worker: every account is ready again, and accounts that
/// get a proxy of the fleet's pool spread over it as they would restored one by one.
/// </summary>
[TestFixture, Category("Worker")]
public sealed class When_a_shard_with_many_accounts_is_restored
{
    private const int Accounts = 8;
    private const int Shard = 5;
    private AccountTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await AccountTestBed.StartAsync();
        _bed.ProxyOptions.Pool.Add(new PoolProxy { Kind = ProxyKind.Socks5, Server = "pool-a.fleet.test", Port = 1080 });
        _bed.ProxyOptions.Pool.Add(new PoolProxy { Kind = ProxyKind.Socks5, Server = "pool-b.fleet.test", Port = 1080 });
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task Every_account_is_ready_again_and_the_pool_is_shared_evenly()
    {
        var ids = Enumerable.Range(0, int.MaxValue).Select(_ => AccountTestBed.NewAccountId())
            .Where(id => ShardAddressing.ShardOf(id) == Shard).Take(Accounts).ToList();
        var first = _bed.NewWorker();
        foreach (var id in ids)
        {
            var phone = SimulatorHarness.NewPhone();
            await _bed.Sim.SeedAccountAsync(phone);
            var runtime = await _bed.LogInAsync(first, id, phone);
            await runtime.StopAsync(graceful: true, CancellationToken.None); // checkpointed, as a hand-over leaves it
        }

        await using var registry = new AccountRegistry(_bed.Db, _bed.NewWorker(), Options.Create(new ShardOptions()),
            Options.Create(new SessionOptions { RestoreConcurrency = Accounts }));
        await registry.StartShardAsync(new ShardLease(Shard, AccountTestBed.LeaseEpoch), CancellationToken.None);

        Assert.That(registry.Count, Is.EqualTo(Accounts));
        foreach (var id in ids)
        {
            await _bed.Observed.WaitForAsync(id, AuthenticationState.Ready, occurrence: 2);
        }

        var servers = registry.Running.Select(r => r.Proxy.Current?.Server).ToList();
        Assert.That(servers.Count(s => s == "pool-a.fleet.test"), Is.EqualTo(Accounts / 2), string.Join(", ", servers));
        Assert.That(servers.Count(s => s == "pool-b.fleet.test"), Is.EqualTo(Accounts / 2), string.Join(", ", servers));
        Assert.That((await _bed.Sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero);
    }
}
