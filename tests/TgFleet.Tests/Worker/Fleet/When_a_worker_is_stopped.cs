using System.Net;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;

namespace TgFleet.Tests.Worker.Fleet;

[TestFixture, Category("Fleet")]
public sealed class When_a_worker_is_stopped
{
    private FleetBed _fleet = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _fleet = await FleetBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public async Task It_hands_its_accounts_to_the_other_worker_without_a_new_login()
    {
        var workers = await _fleet.StartWorkersAsync("w1", "w2");
        var (leaving, staying) = (workers[0], workers[1]);
        var owners = await _fleet.WaitForFairShareAsync(leaving, staying);
        var leavingShards = owners.Where(o => o.Value == leaving.Id).Select(o => o.Key).Order().ToList();
        var stayingShard = owners.First(o => o.Value == staying.Id).Key;
        var moving = await Task.WhenAll(leavingShards.Take(2).Select(_fleet.LogInAsync));
        var resident = await _fleet.LogInAsync(stayingShard);
        var stopped = FleetEvents.Now;

        Assert.That(await leaving.TerminateAsync(FleetBed.Deadline), Is.Zero, "a clean shutdown after the hand-over:\n" + leaving.Tail());

        foreach (var account in moving)
        {
            await _fleet.Events.WaitForStatusAsync(account.Id, AccountStatus.Online, stopped, FleetBed.Deadline, _fleet.Describe);
        }

        var now = await _fleet.OwnersAsync();
        foreach (var account in moving)
        {
            Assert.That(now[account.Shard], Is.EqualTo(staying.Id));
            Assert.That(await _fleet.SessionEpochAsync(account.Id), Is.EqualTo(await _fleet.LeaseEpochAsync(account.Shard)),
                "restored from its checkpoint and checkpointed again by the new owner");
        }

        foreach (var account in moving.Append(resident))
        {
            Assert.That(await _fleet.PendingCodeStatusAsync(account.Phone), Is.EqualTo(HttpStatusCode.NotFound), $"{account.Id}: no new login code");
        }

        Assert.That(_fleet.Events.Since<AuthenticationStateChanged>(stopped).Select(e => e.Message.State),
            Has.None.EqualTo(AuthenticationState.AwaitingCode).And.None.EqualTo(AuthenticationState.LoggedOut));
        Assert.That((await _fleet.Sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero, "no session ran twice");
        Assert.That(leaving.Run.Output, Does.Contain("Released shard").And.Not.Contain(resident.Phone));
    }
}
