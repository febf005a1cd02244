using System.Text;
using NUnit.Framework;
using TgFleet.Simulator;
using TgFleet.Tests.Simulator;
using TgFleet.Tests.Worker.Fleet;

namespace TgFleet.Tests.Cli.Fleet;

[TestFixture, Category("Cli")]
public sealed class When_a_campaign_is_watched_at_a_terminal
{
    [Test]
    public async Task One_live_screen_shows_progress_reasons_and_senders_until_it_completes()
    {
        var sender = CliFleet.Account("watched");
        var tag = Guid.NewGuid().ToString("N")[..6];
        var csv = new StringBuilder("recipient\n");
        for (var i = 0; i < 8; i++)
        {
            var user = await CliFleet.Bed.Sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "W", Username: $"w{tag}{i}", PrivacyRestricted: i == 0));
            csv.Append('@').Append(user.Username).Append('\n');
        }

        var file = Path.Combine(CliFleet.Bed.Root, $"watch-{tag}.csv");
        await File.WriteAllTextAsync(file, csv.ToString());
        var id = Guid.NewGuid().ToString();
        var started = await CliFleet.RunAsync("campaign", "start", "--id", id, "--name", "watched " + tag, "--senders", sender.Id, "--recipients", file,
            "--template", "hello", "--interval-ms", "400", "--jitter-ms", "0", "--daily-cap", "100");
        Assert.That(started.ExitCode, Is.Zero, started.ToString());

        await using var terminal = await Terminal.StartAsync(["dotnet", CliProcess.Dll, "campaign", "watch", id, .. CliFleet.Connection]);
        var running = await terminal.WaitForAsync("msg/s", FleetBed.Deadline); // the whole panel has been drawn
        var screen = await terminal.WaitForAsync("EXIT=", FleetBed.Deadline);

        Assert.That(running, Does.Contain("tgfleet campaign").And.Contain("watched " + tag).And.Contain("rate"), running);
        Assert.That(screen, Does.Contain("EXIT=0").And.Contain("completed").And.Contain("8 / 8 (100%)"), screen);
        Assert.That(screen, Does.Contain("USER_PRIVACY_RESTRICTED").And.Contain("senders by state").And.Contain(sender.Id), screen);
        Assert.That(screen.Split('\n').Count(l => l.Contains("tgfleet campaign", StringComparison.Ordinal)), Is.EqualTo(1), "one screen, redrawn in place");
    }
}
