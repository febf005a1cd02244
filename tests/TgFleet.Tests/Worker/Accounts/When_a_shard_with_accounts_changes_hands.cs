using System.Net;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Tests.Simulator;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Messaging;
using TgFleet.Worker.Sharding;

namespace TgFleet.Tests.Worker.Accounts;

[TestFixture, Category("Worker")]
public sealed class When_a_shard_with_accounts_changes_hands
{
    private AccountTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await AccountTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    /// <summary>A worker's registry and, on it, an account host whose shard queue is not under test (no endpoints).</summary>
    private (AccountRegistry Registry, AccountShardHost Host) NewWorker()
    {
        var services = _bed.NewWorkerServices();
        var registry = services.GetRequiredService<AccountRegistry>();
        return (registry, new AccountShardHost(new NoEndpoints(), registry, services.GetRequiredService<SendOutcomes>()));
    }

    [Test]
    public async Task The_next_owner_restores_its_ready_accounts_without_a_new_login()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var (first, firstHost) = NewWorker();
        var lease = new ShardLease(first.ShardOf(account), AccountTestBed.LeaseEpoch);
        await firstHost.StartAsync(lease, CancellationToken.None);
        var runtime = await first.GetOrStartAsync(account, CancellationToken.None);
        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingCode);
        await runtime.Login.SubmitCodeAsync(Guid.NewGuid(), await _bed.Sim.CodeAsync(phone), CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.Ready);

        await firstHost.StopAsync(lease, ShardStopReason.Rebalanced, CancellationToken.None);
        var (second, secondHost) = NewWorker();
        await secondHost.StartAsync(lease, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.Ready, occurrence: 2);

        Assert.That(first.Find(account), Is.Null);
        Assert.That(second.Find(account), Is.Not.Null);
        Assert.That(await _bed.PendingCodeStatusAsync(phone), Is.EqualTo(HttpStatusCode.NotFound), "no new login code was requested");
        Assert.That((await _bed.Sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero);
    }

    [Test]
    public async Task A_lost_shard_writes_no_session()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var (registry, host) = NewWorker();
        var lease = new ShardLease(registry.ShardOf(account), AccountTestBed.LeaseEpoch);
        await host.StartAsync(lease, CancellationToken.None);
        var runtime = await registry.GetOrStartAsync(account, CancellationToken.None);
        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingCode);
        await runtime.Login.SubmitCodeAsync(Guid.NewGuid(), await _bed.Sim.CodeAsync(phone), CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.Ready);
        await Testing.Wait.UntilAsync(async () => await _bed.SessionRowAsync(account) is not null, AccountTestBed.Deadline);
        var before = (await _bed.SessionRowAsync(account))!.Value;

        await host.StopAsync(lease, ShardStopReason.Lost, CancellationToken.None);

        Assert.That((await _bed.SessionRowAsync(account))!.Value.Blob, Is.EqualTo(before.Blob));
        Assert.That(registry.Find(account), Is.Null);
    }

    /// <summary>The shard's queue is not under test here.</summary>
    private sealed class NoEndpoints : IShardHost
    {
        public Task StartAsync(ShardLease lease, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(ShardLease lease, ShardStopReason reason, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
