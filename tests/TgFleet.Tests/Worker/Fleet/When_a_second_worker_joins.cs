using System.Net;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;

namespace TgFleet.Tests.Worker.Fleet;

[TestFixture, Category("Fleet")]
public sealed class When_a_second_worker_joins
{
    // Accounts on low and high shards: the rebalance moves some and leaves others.
    private static readonly int[] AccountShards = [1, 2, 5, 6];
    private FleetBed _fleet = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _fleet = await FleetBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public async Task The_accounts_of_the_shards_it_takes_come_back_online_there_without_a_new_login()
    {
        var first = (await _fleet.StartWorkersAsync("w1"))[0];
        var accounts = await Task.WhenAll(AccountShards.Select(_fleet.LogInAsync));
        var joined = FleetEvents.Now;

        var second = (await _fleet.StartWorkersAsync("w2"))[0];
        var owners = await _fleet.WaitForFairShareAsync(first, second);
        var moved = accounts.Where(a => owners[a.Shard] == second.Id).ToList();
        Assert.That(moved, Is.Not.Empty, "the rebalance moved a shard with accounts");
        foreach (var account in moved)
        {
            await _fleet.Events.WaitForStatusAsync(account.Id, AccountStatus.Online, joined, FleetBed.Deadline, _fleet.Describe);
        }

        foreach (var account in moved)
        {
            Assert.That(await _fleet.SessionEpochAsync(account.Id), Is.EqualTo(await _fleet.LeaseEpochAsync(account.Shard)),
                "the new owner restored the session and checkpointed it under its own lease");
        }

        foreach (var account in accounts)
        {
            Assert.That(await _fleet.PendingCodeStatusAsync(account.Phone), Is.EqualTo(HttpStatusCode.NotFound), $"{account.Id}: no new login code");
        }

        Assert.That(_fleet.Events.Since<AuthenticationStateChanged>(joined).Select(e => e.Message.State),
            Has.None.EqualTo(AuthenticationState.AwaitingCode).And.None.EqualTo(AuthenticationState.LoggedOut));
        Assert.That((await _fleet.Sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero, "no session ran twice");
    }
}
