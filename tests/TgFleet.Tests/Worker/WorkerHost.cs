using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TgFleet.Worker;

namespace TgFleet.Tests.Worker;

/// <summary>
/// The worker composed as <c>Program.cs</c> composes it (<see cref="WorkerComposition.AddWorker"/>)
/// on a test's settings. A test bed changes what it must by overriding services on the returned
/// builder (<c>services.Replace</c>: a ledger for the shard host, a recording sink for events, the
/// test harness for the bus); it never lists the worker's registrations itself.
/// </summary>
internal static class WorkerHost
{
    /// <summary>The simulator's API id and hash (any values: the simulator accepts them all).</summary>
    public const string ApiId = "94575";

    /// <inheritdoc cref="ApiId"/>
    public const string ApiHash = "a3406de8d171bb422bb6ddf3bbd800e2";

    /// <summary>
    /// A host builder with <paramref name="settings"/> (configuration keys such as
    /// <c>Database:ConnectionString</c>, <c>Shards:WorkerId</c>) and the worker added. The egress gate is
    /// off unless the settings say otherwise: a bed in the test process runs no gate child.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(IReadOnlyDictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var all = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["Gate:Mode"] = "Off" };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(all);
        builder.AddWorker();
        return builder;
    }

    /// <summary>The settings of a TDLib client on the simulator at <paramref name="backend"/>, with its data under <paramref name="dataDirectory"/>.</summary>
    public static Dictionary<string, string?> Simulator(Uri backend, string dataDirectory) => new()
    {
        ["Telegram:Backend"] = "Simulator",
        ["Telegram:SimulatorUri"] = backend.ToString(),
        ["Telegram:ApiId"] = ApiId,
        ["Telegram:ApiHash"] = ApiHash,
        ["Telegram:DataDirectory"] = dataDirectory,
    };

    /// <summary>
    /// Settings for a bed that runs no account: a simulator address nothing listens on and a
    /// throw-away session key, so that the worker's graph resolves (publishing resolves shard
    /// ownership, which resolves the accounts' services) while nothing ever connects to them.
    /// </summary>
    public static Dictionary<string, string?> WithoutAccounts() => new(Simulator(new Uri("ws://127.0.0.1:9/backend"), Path.Combine(Path.GetTempPath(), "tgfleet-no-accounts")))
    {
        ["Sessions:ActiveKeyId"] = "unused",
        ["Sessions:Keys:unused"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
    };

    /// <summary>
    /// Removes the worker's hosted service <typeparamref name="T"/> (registered by type or by a factory
    /// returning it), for a bed that does that part itself (e.g. starts shards without leases).
    /// </summary>
    public static IServiceCollection RemoveHostedService<T>(this IServiceCollection services)
        where T : IHostedService
    {
        var found = services.Where(d => d.ServiceType == typeof(IHostedService)
            && (d.ImplementationType == typeof(T) || d.ImplementationFactory?.Method.ReturnType == typeof(T))).ToList();
        if (found.Count == 0)
        {
            throw new InvalidOperationException($"The worker registers no hosted service {typeof(T).Name}: the bed's override is stale.");
        }

        foreach (var descriptor in found)
        {
            services.Remove(descriptor);
        }

        return services;
    }

    /// <summary>A time span as configuration spells it (<c>00:00:03</c>).</summary>
    public static string Span(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
