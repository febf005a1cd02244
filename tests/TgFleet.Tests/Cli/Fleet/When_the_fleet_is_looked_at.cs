using NUnit.Framework;
using TgFleet.Tests.Worker.Fleet;

namespace TgFleet.Tests.Cli.Fleet;

[TestFixture, Category("Cli")]
public sealed class When_the_fleet_is_looked_at
{
    [Test]
    public async Task Shards_shows_each_owner_epoch_and_lease_age()
    {
        var shards = await CliFleet.RunAsync("shards", "--json");

        Assert.That(shards.ExitCode, Is.Zero, shards.ToString());
        var rows = shards.Json.EnumerateArray().ToList();
        Assert.That(rows, Has.Count.EqualTo(FleetBed.Shards));
        var owners = await CliFleet.Bed.OwnersAsync();
        foreach (var row in rows)
        {
            var shard = row.GetProperty("shard").GetInt32();
            Assert.That(row.GetProperty("owner").GetString(), Is.EqualTo(owners[shard]), $"shard {shard}");
            Assert.That(row.GetProperty("live").GetBoolean(), Is.True);
            Assert.That(row.GetProperty("epoch").GetInt64(), Is.EqualTo(await CliFleet.Bed.LeaseEpochAsync(shard)));
            Assert.That(row.GetProperty("heldSeconds").GetDouble(), Is.GreaterThanOrEqualTo(0));
            Assert.That(row.GetProperty("renewedSecondsAgo").GetDouble(), Is.LessThan(FleetBed.LeaseTtl.TotalSeconds), "renewed within the TTL");
        }
    }

    [Test]
    public async Task Workers_shows_the_worker_with_its_shards()
    {
        var workers = await CliFleet.RunAsync("workers", "--json");

        Assert.That(workers.ExitCode, Is.Zero, workers.ToString());
        var worker = workers.Json.EnumerateArray().Single();
        Assert.That(worker.GetProperty("workerId").GetString(), Is.EqualTo(CliFleet.WorkerId));
        Assert.That(worker.GetProperty("shards").GetInt64(), Is.EqualTo(FleetBed.Shards));
        Assert.That(worker.GetProperty("draining").GetBoolean(), Is.False);
    }

    [Test]
    public async Task The_connection_can_come_from_the_processes_environment_variables()
    {
        var shards = await CliProcess.RunAsync(["shards"], new Dictionary<string, string?>
        {
            ["Database__ConnectionString"] = CliFleet.Bed.Database.ConnectionString,
        });

        Assert.That(shards.ExitCode, Is.Zero, shards.ToString());
        Assert.That(shards.Stdout, Does.Contain($"{FleetBed.Shards} of {FleetBed.Shards} shards owned").And.Contain(CliFleet.WorkerId).And.Not.Contain("\u001b"));
    }
}
