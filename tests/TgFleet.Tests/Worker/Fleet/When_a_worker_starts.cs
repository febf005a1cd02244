using System.Text.Json;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace TgFleet.Tests.Worker.Fleet;

[TestFixture, Category("Fleet")]
public sealed partial class When_a_worker_starts
{
    private const string QueriesQueue = "tgfleet.queries";
    private FleetBed _fleet = null!;
    private WorkerProcess _worker = null!;
    private IReadOnlyDictionary<int, string> _ownersWhenReady = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _fleet = await FleetBed.StartAsync();
        _worker = (await _fleet.StartWorkersAsync("w1"))[0];
        _ownersWhenReady = await _fleet.OwnersAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public void It_is_ready_only_once_it_holds_its_shards()
    {
        Assert.That(_ownersWhenReady.Keys, Is.EquivalentTo(Enumerable.Range(0, FleetBed.Shards)));
        Assert.That(_ownersWhenReady.Values, Is.All.EqualTo(_worker.Id));
    }

    [Test]
    public async Task Its_consumers_listen_on_shard_queues_only()
    {
        using var queues = JsonDocument.Parse(await _fleet.VirtualHost.Server.GetManagementJsonAsync(
            $"queues/{Uri.EscapeDataString(_fleet.VirtualHost.Name)}?columns=name,type,durable"));
        var all = queues.RootElement.EnumerateArray()
            .Select(q => (Name: q.GetProperty("name").GetString()!, Type: q.GetProperty("type").GetString()!, Durable: q.GetProperty("durable").GetBoolean()))
            .ToList();

        var shards = all.Where(q => ShardQueue().IsMatch(q.Name)).ToList();
        Assert.That(shards.Select(q => q.Name), Is.EquivalentTo(Enumerable.Range(0, FleetBed.Shards).Select(s => $"tgfleet.shard.{s:000}")));
        Assert.That(shards.Select(q => (q.Type, q.Durable)), Is.All.EqualTo(("quorum", true)));
        // Anything else is the test's own event queue, a bus's temporary (auto-delete) endpoint, or
        // the fleet-wide query endpoint (ListAccounts, not per account): no queue per consumer,
        // which would let a command bypass its shard's lease.
        var others = all.Select(q => q.Name).Where(n => !ShardQueue().IsMatch(n) && n != FleetBed.EventQueue && n != QueriesQueue
            && !n.Contains("_bus_", StringComparison.Ordinal));
        Assert.That(others, Is.Empty);
    }

    [GeneratedRegex(@"^tgfleet\.shard\.\d{3}$")]
    private static partial Regex ShardQueue();
}
