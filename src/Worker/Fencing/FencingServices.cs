using TgFleet.Gate;

namespace TgFleet.Worker.Fencing;

/// <summary>Registers how the worker's TDLib connections leave: its egress gate (docs/fencing.md).</summary>
public static class FencingServices
{
    /// <summary>
    /// Adds <see cref="GateOptions"/> (section <c>Gate</c>) and the <see cref="EgressRoute"/> every
    /// account's client uses; with <c>Gate:Mode=Child</c> (the default) also <see cref="GateChild"/>,
    /// the worker's own gate process. Call it before <c>AddShardOwnership</c>: hosted services
    /// start in registration order and stop in reverse, so the gate runs before a shard is taken
    /// and after the last one is handed over.
    /// </summary>
    public static TBuilder AddEgressGate<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<GateOptions>()
            .BindConfiguration(GateOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => Enum.IsDefined(o.Mode), "Gate:Mode must be Child, External or Off.")
            .Validate(o => o.RelayRenewInterval > TimeSpan.Zero, "Gate:RelayRenewInterval must be positive.")
            .Validate(o => o.Mode != GateMode.External || o.Port != 0, "Gate:Port is required with Gate:Mode=External (the sidecar's SOCKS5 port).")
            .ValidateOnStart();
        var mode = builder.Configuration.GetValue(GateOptions.Section + ":Mode", GateMode.Child);
        if (mode == GateMode.Child)
        {
            builder.Services.AddSingleton<GateChild>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<GateChild>());
        }

        if (mode != GateMode.Off)
        {
            builder.Services.AddHostedService<RelayRenewal>();
        }

        // A worker resumed after its broker connection was dropped ends itself (docs/fencing.md).
        builder.Services.AddHostedService<PauseWatch>();

        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<GateOptions>>().Value;
            return options.Mode switch
            {
                GateMode.Child => EgressRoute.ThroughGate(options.Host, sp.GetRequiredService<GateChild>().Port),
                GateMode.External => EgressRoute.ThroughGate(options.Host, options.Port),
                _ => EgressRoute.Direct,
            };
        });
        return builder;
    }
}
