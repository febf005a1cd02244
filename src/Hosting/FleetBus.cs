using System.ComponentModel.DataAnnotations;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace TgFleet.Hosting;

/// <summary>Settings of the fleet's RabbitMQ connection (section <c>RabbitMq</c>).</summary>
public sealed class RabbitMqOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "RabbitMq";

    /// <summary>An amqp:// URI with user, password and virtual host, e.g. <c>amqp://fleet:secret@rabbit:5672/tgfleet</c>.</summary>
    [Required(ErrorMessage = "RabbitMq:Uri is required (amqp://user:password@host:port/vhost).")]
    public Uri? Uri { get; set; }

    /// <summary>
    /// The AMQP heartbeat asked of the broker (default 10 s; RabbitMQ's own default is 60 s). It
    /// decides how soon RabbitMQ notices a frozen process (SIGSTOP, a stalled VM) and hands the
    /// deliveries it had prefetched back to the queue: about two to three heartbeats. A longer one
    /// keeps a frozen worker's commands waiting longer; a worker that continues after a pause longer
    /// than this ends itself for a fresh one to take its place (docs/fencing.md).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00", ErrorMessage = "RabbitMq:Heartbeat must be between 2 s and 10 min (e.g. 00:00:10).")]
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Registers MassTransit on RabbitMQ; the bus's own health check joins readiness.</summary>
public static class FleetBus
{
    /// <summary>
    /// Adds the bus from section <c>RabbitMq</c>, validated at start; <paramref name="configure"/> adds
    /// consumers, <paramref name="configureRabbitMq"/> adds endpoints of its own before
    /// <c>ConfigureEndpoints</c>.
    /// </summary>
    public static TBuilder AddFleetBus<TBuilder>(this TBuilder builder, Action<IBusRegistrationConfigurator>? configure = null,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator>? configureRabbitMq = null)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<RabbitMqOptions>()
            .BindConfiguration(RabbitMqOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.Uri is null || o.Uri.Scheme is "amqp" or "amqps", "RabbitMq:Uri must be an amqp:// or amqps:// URI.")
            .ValidateOnStart();
        builder.Services.AddMassTransit(bus =>
        {
            // MassTransit would report usage to its vendor over the internet; the fleet talks only to its own broker.
            bus.DisableUsageTelemetry();
            configure?.Invoke(bus);
            bus.UsingRabbitMq((context, cfg) =>
            {
                var rabbitMq = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                cfg.Host(rabbitMq.Uri, h => h.Heartbeat(rabbitMq.Heartbeat));
                // Publishers in other languages may give enums by name (docs/messaging.md); events keep numbers.
                cfg.ConfigureJsonSerializerOptions(options =>
                {
                    options.Converters.Add(new EnumNameOrNumberConverter());
                    return options;
                });
                configureRabbitMq?.Invoke(context, cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }
}
