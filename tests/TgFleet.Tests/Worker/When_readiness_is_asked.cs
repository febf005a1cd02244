using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using NUnit.Framework;
using TgFleet.Hosting;

namespace TgFleet.Tests.Worker;

/// <summary>
/// /health/ready of every fleet process: Degraded (starting, handing over) is "not ready" (503)
/// like Unhealthy, only logged as a warning instead of an error.
/// </summary>
[TestFixture, Category("Worker")]
public sealed class When_readiness_is_asked
{
    [TestCase(HealthStatus.Healthy, HttpStatusCode.OK)]
    [TestCase(HealthStatus.Degraded, HttpStatusCode.ServiceUnavailable)]
    [TestCase(HealthStatus.Unhealthy, HttpStatusCode.ServiceUnavailable)]
    public async Task A_check_that_is_not_healthy_keeps_the_process_out_of_service(HealthStatus status, HttpStatusCode expected)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddFleetDefaults("readiness-test");
        builder.Services.AddHealthChecks().AddCheck("shards", () => new HealthCheckResult(status, "as the test says"), [FleetDefaults.ReadyTag]);
        await using var app = builder.Build();
        app.MapFleetEndpoints();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        using var ready = await http.GetAsync(new Uri("health/ready", UriKind.Relative));
        using var live = await http.GetAsync(new Uri("health/live", UriKind.Relative));

        Assert.That(ready.StatusCode, Is.EqualTo(expected));
        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a process that is starting is alive");
        await app.StopAsync();
    }
}
