using System.Net;
using Microsoft.Extensions.Options;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Tests.Simulator;
using TgFleet.Worker.Accounts;
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

    private AccountRegistry NewRegistry()
    {
        var worker = _bed.NewWorker();
        return new AccountRegistry(_bed.Db, worker, Options.Create(new ShardOptions()), Options.Create(new TgFleet.Worker.Sessions.SessionOptions()));
    }

    [Test]
    public async Task The_next_owner_restores_its_ready_accounts_without_a_new_login()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        await using var first = NewRegistry();
        var lease = new ShardLease(first.ShardOf(account), AccountTestBed.LeaseEpoch);
        var firstHost = new AccountShardHost(new NoEndpoints(), first);
        await firstHost.StartAsync(lease, CancellationToken.None);
        var runtime = await first.GetOrStartAsync(account, CancellationToken.None);
        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingCode);
        await runtime.Login.SubmitCodeAsync(Guid.NewGuid(), await _bed.Sim.CodeAsync(phone), CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.Ready);

        await firstHost.StopAsync(lease, ShardStopReason.Rebalanced, CancellationToken.None);
        await using var second = NewRegistry();
        await new AccountShardHost(new NoEndpoints(), second).StartAsync(lease, CancellationToken.None);
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
        await using var registry = NewRegistry();
        var lease = new ShardLease(registry.ShardOf(account), AccountTestBed.LeaseEpoch);
        var host = new AccountShardHost(new NoEndpoints(), registry);
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
