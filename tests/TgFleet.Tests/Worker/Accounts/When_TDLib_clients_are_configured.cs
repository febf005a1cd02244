using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NUnit.Framework;
using TgFleet.Tdlib;
using TgFleet.Tests.Simulator;
using TgFleet.Worker.Accounts;

namespace TgFleet.Tests.Worker.Accounts;

[TestFixture, Category("Worker")]
public sealed class When_TDLib_clients_are_configured
{
    private static IHost Build(Dictionary<string, string?> settings) => WorkerHost.CreateBuilder(settings).Build();

    [Test]
    public async Task The_simulator_backend_gives_one_manager()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        using var host = Build(new()
        {
            ["Telegram:ApiId"] = WorkerHost.ApiId,
            ["Telegram:ApiHash"] = WorkerHost.ApiHash,
            ["Telegram:Backend"] = "Simulator",
            ["Telegram:SimulatorUri"] = sim.Server.BackendAddress.ToString(),
        });

        var manager = host.Services.GetRequiredService<TdClientManager>();

        Assert.That(host.Services.GetRequiredService<TdClientManager>(), Is.SameAs(manager));
        Assert.That(manager.Backend.Name, Is.EqualTo("simulator"));
        Assert.That(manager.LibraryVersion, Is.EqualTo("1.8.65"));
        await manager.DisposeAsync();
    }

    [Test]
    public void Missing_settings_are_named()
    {
        using var host = Build(new() { ["Telegram:Backend"] = "Simulator" });

        var error = Assert.Throws<OptionsValidationException>(() => _ = host.Services.GetRequiredService<IOptions<TelegramOptions>>().Value);

        Assert.That(error!.Message, Does.Contain("Telegram:ApiId is required")
            .And.Contain("Telegram:ApiHash is required")
            .And.Contain("Telegram:SimulatorUri is required"));
    }
}
