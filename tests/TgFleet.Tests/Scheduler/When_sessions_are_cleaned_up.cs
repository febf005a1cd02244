using Dapper;
using NUnit.Framework;
using TgFleet.Contracts.Maintenance;
using TgFleet.Testing;
using TgFleet.Tests.Worker.Fleet;

namespace TgFleet.Tests.Scheduler;

[TestFixture, Category("Scheduler")]
public sealed class When_sessions_are_cleaned_up
{
    private CampaignBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await CampaignBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task A_logged_out_accounts_session_goes_and_a_live_one_stays()
    {
        await _bed.Fleet.StartWorkersAsync("w1");
        var live = await _bed.Fleet.LogInAsync(0);
        await Wait.UntilAsync(async () => await _bed.Fleet.SessionEpochAsync(live.Id) is not null, CampaignBed.Deadline, _bed.Describe);
        var gone = FleetBed.AccountOnShard(0);
        await using (var conn = await _bed.Fleet.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("INSERT INTO accounts (account_id, shard, status) VALUES (@Id, 0, 'logged_out')", new { Id = gone });
            await conn.ExecuteAsync("INSERT INTO sessions (account_id, shard, epoch, key_id, blob) VALUES (@Id, 0, @Epoch, 'k', '\\x00')",
                new { Id = gone, Epoch = await _bed.Fleet.LeaseEpochAsync(0) });
        }

        await _bed.StartSchedulersAsync(new Dictionary<string, string> { ["Cleanup:Interval"] = "00:00:01" }, "s1");
        await Wait.UntilAsync(async () => await _bed.Fleet.SessionEpochAsync(gone) is null, CampaignBed.Deadline, _bed.Describe);
        var runs = _bed.Events<CleanupCompleted>().Count;
        await Wait.UntilAsync(() => _bed.Events<CleanupCompleted>().Count >= runs + 2, CampaignBed.Deadline, _bed.Describe);

        Assert.That(await _bed.Fleet.SessionEpochAsync(live.Id), Is.Not.Null, "the authorized account on a live lease keeps its session");
        Assert.That(_bed.Events<CleanupCompleted>().Sum(e => e.Sessions), Is.EqualTo(1));
    }
}
