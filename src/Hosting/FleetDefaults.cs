using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace TgFleet.Hosting;

/// <summary>The defaults every TgFleet process starts with: one place, one call.</summary>
public static class FleetDefaults
{
    /// <summary>Tag of the health checks that decide readiness (<c>/health/ready</c>).</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// OpenTelemetry (metrics for Prometheus, traces over OTLP when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set), health checks, and the <c>TgFleet.*</c> meters
    /// beside MassTransit's, Npgsql's, the .NET runtime's and the process's (docs/operations.md).
    /// </summary>
    public static TBuilder AddFleetDefaults<TBuilder>(this TBuilder builder, string serviceName)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddMeter("TgFleet.*")
                .AddMeter("MassTransit")
                .AddNpgsqlInstrumentation()
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddProcessInstrumentation()
                .AddPrometheusExporter());
        // Traces only when there is somewhere to send them: a listening TracerProvider makes
        // MassTransit create and tag activities for every receive, consume and publish, which cost
        // the worker a fifth of its CPU per sent message in the fleet benchmark for nothing.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.WithTracing(tracing => tracing
                .AddSource("MassTransit")
                .AddSource("TgFleet.*")
                .AddNpgsql()
                .AddAspNetCoreInstrumentation(options => options.Filter = context =>
                    !context.Request.Path.StartsWithSegments("/metrics", StringComparison.Ordinal)
                    && !context.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal))
                .AddOtlpExporter());
        }

        return builder;
    }

    /// <summary>
    /// Checks every validated settings section first (a process with bad settings exits with code 2
    /// and one line per problem, before anything connects), then maps <c>/metrics</c>,
    /// <c>/health/live</c> (the process runs) and <c>/health/ready</c> (it can do its job).
    /// </summary>
    public static WebApplication MapFleetEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        ExitOnInvalidConfiguration(app);
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") });
        // Degraded is "not yet" (starting, handing over): not ready either.
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
        return app;
    }

    private static void ExitOnInvalidConfiguration(WebApplication app)
    {
        try
        {
            app.Services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (Exception e) when (e is OptionsValidationException or AggregateException)
        {
            var problems = (e as AggregateException)?.InnerExceptions.OfType<OptionsValidationException>().SelectMany(x => x.Failures)
                ?? ((OptionsValidationException)e).Failures;
            Console.Error.WriteLine($"{app.Environment.ApplicationName}: the configuration is invalid:");
            foreach (var problem in problems)
            {
                Console.Error.WriteLine("  - " + problem);
            }

            Environment.Exit(2);
        }
    }
}
