using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace TgFleet.Tests.Worker;

/// <summary>
/// A meter factory of a test's own, as the worker's container has one: a test that constructs one
/// worker class (a journal) gives it <c>new WorkerMetrics(TestMeters.Create())</c> and listens to the
/// meters whose <see cref="Meter.Scope"/> is that factory, so that no other test's measurements count.
/// </summary>
internal static class TestMeters
{
    public static IMeterFactory Create() => new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
}
