using System.Text;
using NUnit.Framework;
using TgFleet.Simulator;
using TgFleet.Tests.Simulator;

namespace TgFleet.Tests.Cli.Fleet;

[TestFixture, Category("Cli")]
public sealed class When_a_campaign_is_run_from_the_command_line
{
    private const int Recipients = 12;
    private readonly string _tag = Guid.NewGuid().ToString("N")[..6];
    private readonly List<string> _usernames = [];
    private CliResult _started = null!;
    private string _campaign = string.Empty;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var senders = new[] { CliFleet.Account("campaign-1"), CliFleet.Account("campaign-2") };
        var csv = new StringBuilder("recipient;name\n");
        for (var i = 0; i < Recipients; i++)
        {
            var user = await CliFleet.Bed.Sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "R", Username: $"c{_tag}{i}"));
            _usernames.Add(user.Username!);
            csv.Append('@').Append(user.Username).Append(";Reader ").Append(i).Append('\n');
        }

        csv.Append($"@nobody{_tag};Ghost\n").Append("not-a-recipient;Typo\n");
        var file = Path.Combine(CliFleet.Bed.Root, $"recipients-{_tag}.csv");
        await File.WriteAllTextAsync(file, csv.ToString());
        _campaign = Guid.NewGuid().ToString();

        _started = await CliFleet.RunAsync("campaign", "start", "--id", _campaign, "--name", "cli " + _tag, "--senders", string.Join(',', senders.Select(s => s.Id)),
            "--recipients", file, "--template", "Hello {{name}} from the CLI", "--interval-ms", "0", "--jitter-ms", "0", "--daily-cap", "1000", "--json");
    }

    [Test]
    public void Start_adds_every_readable_row_and_names_the_unreadable_one()
    {
        Assert.That(_started.ExitCode, Is.Zero, _started.ToString());
        Assert.That(_started.Json.GetProperty("accepted").GetInt64(), Is.EqualTo(Recipients + 1));
        Assert.That(_started.Json.GetProperty("batches").GetInt32(), Is.EqualTo(1));
        Assert.That(_started.Json.GetProperty("invalidCount").GetInt64(), Is.EqualTo(1));
        Assert.That(_started.Json.GetProperty("invalidRows")[0].GetString(), Does.Contain("line 15: 'not-a-recipient'"));
    }

    [Test]
    public async Task Watch_follows_it_to_completion_in_plain_lines_and_status_has_the_counts()
    {
        var watched = await CliFleet.RunAsync("campaign", "watch", _campaign);
        var status = await CliFleet.RunAsync("campaign", "status", _campaign, "--json");

        Assert.That(watched.ExitCode, Is.Zero, watched.ToString());
        var lines = watched.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Is.All.StartsWith($"campaign cli {_tag}: "));
        Assert.That(lines[^1], Does.Contain("completed").And.Contain($"sent={Recipients} failed=1").And.Contain("USERNAME_NOT_OCCUPIED=1").And.Not.Contain("\u001b"));
        Assert.That(status.ExitCode, Is.Zero, status.ToString());
        Assert.That(status.Json.GetProperty("state").GetString(), Is.EqualTo("Completed"));
        Assert.That(status.Json.GetProperty("deliveries").GetProperty("sent").GetInt64(), Is.EqualTo(Recipients));
        for (var i = 0; i < Recipients; i++)
        {
            Assert.That((await CliFleet.Bed.Sim.ReceivedAsync("@" + _usernames[i])).Select(m => m.Text), Is.EqualTo(new[] { $"Hello Reader {i} from the CLI" }),
                "the simulator's witness: once each, filled from the CSV");
        }
    }

    [Test]
    public async Task An_unknown_campaign_is_rejected_naming_the_field()
    {
        CliFleet.AssertFailure(await CliFleet.RunAsync("campaign", "status", Guid.NewGuid().ToString()), 6, "GetCampaign rejected: CampaignId CAMPAIGN_UNKNOWN");
    }
}
