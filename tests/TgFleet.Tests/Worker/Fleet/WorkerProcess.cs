using System.Globalization;

namespace TgFleet.Tests.Worker.Fleet;

/// <summary>
/// A real <c>TgFleet.Worker</c> process on a fleet's database, virtual host and simulator
/// (a <see cref="FleetProcess"/> with the worker's settings).
/// </summary>
internal sealed class WorkerProcess : FleetProcess
{
    private WorkerProcess(string id, TgFleet.Testing.ProcessRun run, Uri baseUri)
        : base(id, run, baseUri)
    {
    }

    /// <summary>Starts a worker named <paramref name="id"/> in <paramref name="fleet"/>; <paramref name="settings"/> override the defaults.</summary>
    public static WorkerProcess Start(FleetBed fleet, string id, IReadOnlyDictionary<string, string?>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        string Seconds(TimeSpan t) => t.ToString("c", CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string?>
        {
            ["Database__ConnectionString"] = fleet.Database.ConnectionString,
            ["RabbitMq__Uri"] = fleet.VirtualHost.AmqpUri.ToString(),
            ["Shards__Count"] = FleetBed.Shards.ToString(CultureInfo.InvariantCulture),
            ["Shards__WorkerId"] = id,
            ["Shards__LeaseTtl"] = Seconds(FleetBed.LeaseTtl),
            ["Shards__RenewInterval"] = Seconds(FleetBed.RenewInterval),
            ["Shards__FenceMargin"] = Seconds(FleetBed.FenceMargin),
            ["Telegram__Backend"] = "Simulator",
            ["Telegram__SimulatorUri"] = fleet.Sim.Server.BackendAddress.ToString(),
            ["Telegram__ApiId"] = "94575",
            ["Telegram__ApiHash"] = "a3406de8d171bb422bb6ddf3bbd800e2",
            ["Telegram__DataDirectory"] = Path.Combine(fleet.Root, id),
            ["Telegram__LoginStepTimeout"] = "00:00:10",
            ["Sessions__ActiveKeyId"] = "fleet-test",
            ["Sessions__Keys__fleet-test"] = fleet.SessionKey,
        };
        var (run, baseUri) = Launch("Worker", environment, settings);
        return new WorkerProcess(id, run, baseUri);
    }
}
