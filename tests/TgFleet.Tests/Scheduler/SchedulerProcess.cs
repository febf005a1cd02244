using System.Globalization;
using TgFleet.Testing;
using TgFleet.Tests.Worker.Fleet;

namespace TgFleet.Tests.Scheduler;

/// <summary>
/// A real <c>TgFleet.Scheduler</c> process on a fleet's database and virtual host (a
/// <see cref="FleetProcess"/> with short intervals for tests).
/// </summary>
internal sealed class SchedulerProcess : FleetProcess
{
    private SchedulerProcess(string id, ProcessRun run, Uri baseUri)
        : base(id, run, baseUri)
    {
    }

    /// <summary>Starts a scheduler replica named <paramref name="id"/>; <paramref name="settings"/> override the test defaults.</summary>
    public static SchedulerProcess Start(FleetBed fleet, string id, IReadOnlyDictionary<string, string>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var environment = new Dictionary<string, string?>
        {
            ["Database__ConnectionString"] = fleet.Database.ConnectionString,
            ["RabbitMq__Uri"] = fleet.VirtualHost.AmqpUri.ToString(),
            ["Campaigns__ShardCount"] = FleetBed.Shards.ToString(CultureInfo.InvariantCulture),
            ["Campaigns__DispatchInterval"] = "00:00:00.250",
            ["Campaigns__AdvanceInterval"] = "00:00:00.250",
            ["Campaigns__CompletionGrace"] = "00:00:01",
            ["Campaigns__ResendAfter"] = "00:00:15",
        };
        var (run, baseUri) = Launch("Scheduler", environment, settings?.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)));
        return new SchedulerProcess(id, run, baseUri);
    }
}
