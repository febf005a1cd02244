using Microsoft.Extensions.Options;
using TgFleet.Simulator.Backend;
using TgFleet.Tdlib;

namespace TgFleet.Worker.Accounts;

/// <summary>Registers the process's one <see cref="TdClientManager"/> on the configured backend.</summary>
public static class TdlibClients
{
    /// <summary>
    /// Adds <see cref="TelegramOptions"/> (section <c>Telegram</c>, validated at start),
    /// <see cref="TdlibOptions"/> (section <c>Tdlib</c>) and ONE <see cref="TdClientManager"/>
    /// singleton: libtdjson, or the simulator at <see cref="TelegramOptions.SimulatorUri"/>.
    /// </summary>
    public static TBuilder AddTdlibClients<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<TelegramOptions>()
            .BindConfiguration(TelegramOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => Enum.IsDefined(o.Backend), "Telegram:Backend must be LibTdJson or Simulator.")
            .Validate(o => o.Backend != TelegramBackend.Simulator || o.SimulatorUri is { IsAbsoluteUri: true, Scheme: "ws" or "wss" },
                "Telegram:SimulatorUri is required with Telegram:Backend=Simulator (ws://HOST:PORT/backend).")
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "Telegram:DataDirectory must name a directory.")
            .Validate(o => o.LoginStepTimeout > TimeSpan.Zero, "Telegram:LoginStepTimeout must be positive.")
            .ValidateOnStart();
        builder.Services.AddOptions<TdlibOptions>().BindConfiguration(TdlibOptions.SectionName);
        builder.Services.AddSingleton(CreateManager);
        return builder;
    }

    private static TdClientManager CreateManager(IServiceProvider services)
    {
        var telegram = services.GetRequiredService<IOptions<TelegramOptions>>().Value;
        var tdlib = services.GetRequiredService<IOptions<TdlibOptions>>().Value;
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var time = services.GetRequiredService<TimeProvider>();
        var meters = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        return telegram.Backend == TelegramBackend.Simulator
            ? new TdClientManager(new SimulatorTdJsonBackend(telegram.SimulatorUri!, time), tdlib, loggers, time, meters)
            : TdClientManager.StartLibTdJson(tdlib, loggers, time, meters);
    }
}
