using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.DevServers;
using TgFleet.Testing;
using TgFleet.Tests.Simulator;
using TgFleet.Tests.Worker.Fleet;

namespace TgFleet.Tests.Cli.Fleet;

/// <summary>Every failure is ONE line on stderr, nothing on stdout, and an exit code of its own (docs/cli.md).</summary>
[TestFixture, Category("Cli")]
public sealed class When_a_command_cannot_be_carried_out
{
    [Test]
    public async Task An_unknown_account_exits_5()
    {
        CliFleet.AssertFailure(await CliFleet.RunAsync("accounts", "show", "nobody-here"), 5, "unknown account 'nobody-here'");
        CliFleet.AssertFailure(await CliFleet.RunAsync("send", "nobody-here", "@someone", "hi"), 5, "unknown account 'nobody-here'");
    }

    [Test]
    public async Task A_rejected_command_exits_6_naming_the_field_and_the_reason()
    {
        var sender = CliFleet.Account("rejected");

        CliFleet.AssertFailure(await CliFleet.RunAsync("send", sender.Id, "@someone", ""), 6, "SendMessage rejected: Text TEXT_EMPTY");
        CliFleet.AssertFailure(await CliFleet.RunAsync("accounts", "add", "acct-bad-phone", "--phone", "+12"), 6, "Authenticate rejected: Phone PHONE_MALFORMED");
    }

    [Test]
    public async Task A_send_from_an_account_not_logged_in_yet_exits_6_saying_not_now()
    {
        var phone = SimulatorHarness.NewPhone();
        await CliFleet.Bed.Sim.SeedAccountAsync(phone);
        var account = FleetBed.AccountOnShard(3);
        var since = FleetEvents.Now;
        await CliFleet.Bed.SendAsync(new Authenticate(Guid.NewGuid(), account, phone));
        await CliFleet.Bed.Events.WaitForLoginAsync(account, AuthenticationState.AwaitingCode, since, FleetBed.Deadline, CliFleet.Bed.Describe);

        var result = await CliFleet.RunAsync("send", account, "@someone", "hi");

        CliFleet.AssertFailure(result, 6, "SendMessage rejected: AccountId ACCOUNT_NOT_READY");
        Assert.That(result.ErrorLines[0], Does.EndWith("; not now: try again later"));
    }

    [Test]
    public async Task No_answer_exits_7_after_the_timeout()
    {
        // A broker with no worker behind it: the query waits in vain.
        await using var empty = await TestInfrastructure.CreateVirtualHostAsync();

        var result = await CliProcess.RunAsync(["accounts", "show", "acct-1", "--timeout", "2", "--rabbitmq", empty.AmqpUri.ToString()]);

        CliFleet.AssertFailure(result, 7, "no answer to GetAccount within 2 s");
    }

    [Test]
    public async Task An_unreachable_broker_exits_3()
    {
        var closed = FreePort.Next();

        var result = await CliProcess.RunAsync(["accounts", "list", "--rabbitmq", $"amqp://guest:secret-pw@127.0.0.1:{closed}/tgfleet"]);

        CliFleet.AssertFailure(result, 3, $"RabbitMQ at amqp://guest@127.0.0.1:{closed}/tgfleet is unreachable");
        Assert.That(result.Stderr, Does.Not.Contain("secret-pw"), "the password is not shown");
    }

    [Test]
    public async Task An_unreachable_database_exits_4()
    {
        var closed = FreePort.Next();

        var result = await CliProcess.RunAsync(["workers", "--database", $"Host=127.0.0.1;Port={closed};Database=tgfleet;Username=u;Password=secret-pw"]);

        CliFleet.AssertFailure(result, 4, $"PostgreSQL at 127.0.0.1:{closed}/tgfleet is unreachable");
        Assert.That(result.Stderr, Does.Not.Contain("secret-pw"), "the password is not shown");
    }

    [TestCase("accounts", "frobnicate")]
    [TestCase("send", "only-one-argument")]
    [TestCase("shards", "--no-such-option")]
    public async Task A_wrong_command_line_exits_2_before_connecting(params string[] args)
    {
        CliFleet.AssertFailure(await CliProcess.RunAsync(args), 2, "see tgfleet --help");
    }

    [Test]
    public async Task No_connection_given_exits_2_saying_which_option_or_variable()
    {
        CliFleet.AssertFailure(await CliProcess.RunAsync(["accounts", "list"]), 2, "pass --rabbitmq");
        CliFleet.AssertFailure(await CliProcess.RunAsync(["shards"]), 2, "pass --database");
    }
}
