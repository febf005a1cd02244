using System.Text;
using NUnit.Framework;

namespace TgFleet.Tests.Cli.Fleet;

[TestFixture, Category("Cli")]
public sealed class When_a_large_campaign_is_controlled_from_the_command_line
{
    private const int Recipients = 25_001;

    [Test]
    public async Task It_is_imported_in_10000_recipient_batches_and_pauses_resumes_and_cancels()
    {
        var sender = CliFleet.Account("large");
        var csv = new StringBuilder("recipient\n");
        for (var i = 1; i <= Recipients; i++)
        {
            csv.Append(i + 1_000_000_000L).Append('\n'); // user ids nobody has: nothing is sent before the cancel anyway
        }

        var file = Path.Combine(CliFleet.Bed.Root, $"large-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(file, csv.ToString());
        var id = Guid.NewGuid().ToString();

        var started = await CliFleet.RunAsync("campaign", "start", "--id", id, "--name", "large", "--senders", sender.Id, "--recipients", file,
            "--template", "hi", "--interval-ms", "3600000", "--daily-cap", "1", "--json");
        var paused = await CliFleet.RunAsync("campaign", "pause", id);
        var resumed = await CliFleet.RunAsync("campaign", "resume", id);
        var cancelled = await CliFleet.RunAsync("campaign", "cancel", id, "--json");
        var again = await CliFleet.RunAsync("campaign", "pause", id);

        Assert.That(started.ExitCode, Is.Zero, started.ToString());
        Assert.That(started.Json.GetProperty("batches").GetInt32(), Is.EqualTo(3));
        Assert.That(started.Json.GetProperty("accepted").GetInt64(), Is.EqualTo(Recipients));
        Assert.That(paused.Stdout, Does.Contain($"campaign {id}: paused (OPERATOR)"), paused.ToString());
        Assert.That(resumed.Stdout, Does.Contain($"campaign {id}: resumed (OPERATOR)"), resumed.ToString());
        Assert.That(cancelled.Json.GetProperty("state").GetString(), Is.EqualTo("cancelled"), cancelled.ToString());
        Assert.That(again.ExitCode, Is.EqualTo(6), again.ToString());
        Assert.That(again.ErrorLines.Single(), Does.StartWith("tgfleet: PauseCampaign rejected: "));
    }
}
