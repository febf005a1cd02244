using NUnit.Framework;
using TgFleet.Simulator;
using TgFleet.Tests.Simulator;
using TgFleet.Tests.Worker.Fleet;

namespace TgFleet.Tests.Cli.Fleet;

[TestFixture, Category("Cli")]
public sealed class When_a_message_is_sent_from_the_command_line
{
    private FleetAccount _sender = null!;
    private Created _reader = null!;
    private Created _private = null!;

    [OneTimeSetUp]
    public async Task SeedAsync()
    {
        _sender = CliFleet.Account("sender");
        _reader = await CliFleet.Bed.Sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Rita", Username: "rita" + Guid.NewGuid().ToString("N")[..8]));
        _private = await CliFleet.Bed.Sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Pia", Username: "pia" + Guid.NewGuid().ToString("N")[..8], PrivacyRestricted: true));
    }

    [Test]
    public async Task The_recipient_gets_it_and_the_outcome_is_printed()
    {
        var text = "hello from tgfleet " + Guid.NewGuid().ToString("N")[..6];

        var sent = await CliFleet.RunAsync("send", _sender.Id, "@" + _reader.Username, text, "--json");

        Assert.That(sent.ExitCode, Is.Zero, sent.ToString());
        Assert.That(sent.Json.GetProperty("outcome").GetString(), Is.EqualTo("sent"));
        Assert.That(sent.Json.GetProperty("messageId").GetInt64(), Is.Positive);
        Assert.That((await CliFleet.Bed.Sim.ReceivedAsync("@" + _reader.Username)).Select(m => m.Text), Is.EqualTo(new[] { text }), "the simulator's witness");
    }

    [Test]
    public async Task A_refused_send_exits_1_with_the_reason()
    {
        var failed = await CliFleet.RunAsync("send", _sender.Id, "@" + _private.Username, "hello");

        CliFleet.AssertFailure(failed, 1, "not sent: USER_PRIVACY_RESTRICTED (permanent)");
        Assert.That(failed.Stdout, Is.Empty);
        Assert.That(await CliFleet.Bed.Sim.ReceivedAsync(_private.Phone), Is.Empty);
    }
}
