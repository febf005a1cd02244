using System.Diagnostics;
using System.Net.Http.Json;
using NUnit.Framework;
using TgFleet.Simulator;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_the_simulator_is_seeded_in_bulk
{
    [Test]
    public async Task Ten_thousand_accounts_are_created_in_seconds_and_can_log_in()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var clock = Stopwatch.StartNew();

        var response = await sim.Control.PostAsJsonAsync("control/bulk", new BulkSeed(10_000, "+4479", "bulk_"));

        response.EnsureSuccessStatusCode();
        var created = (await response.Content.ReadFromJsonAsync<Created[]>())!;
        Assert.That(created, Has.Length.EqualTo(10_000));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        var td = sim.NewBackend();
        var client = await sim.LoginAsync(td, "+" + created[9_999].Phone, sim.NewDirectory());
        var me = await td.RequestAsync(client, """{"@type":"getMe"}""");
        Assert.That(me["usernames"]!["editable_username"]!.GetValue<string>(), Is.EqualTo("bulk_9999"));
    }
}
