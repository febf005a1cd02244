using System.Diagnostics;
using System.Net;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;

namespace TgFleet.Tests.Worker.Fleet;

[TestFixture, Category("Fleet")]
public sealed class When_a_worker_is_killed
{
    private FleetBed _fleet = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _fleet = await FleetBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public async Task Its_accounts_are_online_on_the_survivor_within_the_lease_TTL_plus_5_s()
    {
        var workers = await _fleet.StartWorkersAsync("w1", "w2");
        var (victim, survivor) = (workers[0], workers[1]);
        var owners = await _fleet.WaitForFairShareAsync(victim, survivor);
        var victimShards = owners.Where(o => o.Value == victim.Id).Select(o => o.Key).Order().ToList();
        var orphaned = await Task.WhenAll(victimShards.Take(2).Select(_fleet.LogInAsync));
        var resident = await _fleet.LogInAsync(owners.First(o => o.Value == survivor.Id).Key);

        var killed = FleetEvents.Now;
        await victim.KillAsync();
        // A command for the dead worker's shard while nobody serves it: it waits in the shard's queue.
        var phone = Simulator.SimulatorHarness.NewPhone();
        await _fleet.Sim.SeedAccountAsync(phone);
        var waiting = FleetBed.AccountOnShard(victimShards[^1]);
        await _fleet.SendAsync(new Authenticate(Guid.NewGuid(), waiting, phone));

        var back = new List<long>();
        foreach (var account in orphaned)
        {
            back.Add(await _fleet.Events.WaitForStatusAsync(account.Id, AccountStatus.Online, killed, FleetBed.Deadline, _fleet.Describe));
        }

        var failover = Stopwatch.GetElapsedTime(killed, back.Max());
        Assert.That(failover, Is.LessThanOrEqualTo(FleetBed.LeaseTtl + TimeSpan.FromSeconds(5)), "back online within the lease TTL + 5 s");
        await _fleet.Events.WaitForLoginAsync(waiting, AuthenticationState.AwaitingCode, killed, FleetBed.Deadline, _fleet.Describe);

        var now = await _fleet.OwnersAsync();
        Assert.That(now.Values, Is.All.EqualTo(survivor.Id), "the survivor took every shard");
        foreach (var account in orphaned.Append(resident))
        {
            Assert.That(await _fleet.PendingCodeStatusAsync(account.Phone), Is.EqualTo(HttpStatusCode.NotFound), $"{account.Id}: no new login code");
        }

        Assert.That(_fleet.Events.Since<AuthenticationStateChanged>(killed).Where(e => e.Message.AccountId != waiting).Select(e => e.Message.State),
            Has.None.EqualTo(AuthenticationState.AwaitingCode).And.None.EqualTo(AuthenticationState.LoggedOut));
        Assert.That((await _fleet.Sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero, "no session ran twice");
        TestContext.Out.WriteLine($"failover: {failover.TotalSeconds:0.0} s");
    }
}
