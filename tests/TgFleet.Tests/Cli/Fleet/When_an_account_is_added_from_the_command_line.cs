using System.Net;
using NUnit.Framework;
using TgFleet.Tests.Simulator;
using TgFleet.Tests.Worker.Fleet;
using TgFleet.Testing;

namespace TgFleet.Tests.Cli.Fleet;

[TestFixture, Category("Cli")]
public sealed class When_an_account_is_added_from_the_command_line
{
    private readonly string _account = FleetBed.AccountOnShard(3);
    private readonly string _phone = SimulatorHarness.NewPhone();
    private CliResult _added = null!;
    private string _code = string.Empty;

    [OneTimeSetUp]
    public async Task AddAsync()
    {
        await CliFleet.Bed.Sim.SeedAccountAsync(_phone);
        // No terminal on stdin: tgfleet reads the code as a line, once Telegram (the simulator) sent it.
        await using var run = CliProcess.Start(["accounts", "add", _account, "--phone", _phone, .. CliFleet.Connection]);
        await Wait.UntilAsync(async () => await CliFleet.Bed.PendingCodeStatusAsync(_phone) == HttpStatusCode.OK, FleetBed.Deadline, () => run.Stdout);
        _code = await CliFleet.Bed.Sim.CodeAsync(_phone);
        await run.WriteLineAsync(_code);
        _added = await run.ExitAsync(FleetBed.Deadline);
    }

    [Test]
    public void It_is_logged_in_and_the_code_is_not_shown()
    {
        Assert.That(_added.ExitCode, Is.Zero, _added.ToString());
        Assert.That(_added.Stdout, Does.Contain($"{_account}: logged in").And.Contain("online").And.Not.Contain(_code).And.Not.Contain(_phone));
    }

    [Test]
    public async Task Adding_it_again_says_at_once_that_it_is_logged_in_and_online_without_a_new_code()
    {
        // The worker answers "ready" again and has no status change to publish: the login asks.
        var again = await CliFleet.RunAsync("accounts", "add", _account, "--phone", _phone, "--timeout", "20");

        Assert.That(again.ExitCode, Is.Zero, again.ToString());
        Assert.That(again.Stdout, Does.Contain($"{_account}: logged in").And.Contain($"{_account}: online").And.Not.Contain("login code"), again.ToString());
        Assert.That(await CliFleet.Bed.PendingCodeStatusAsync(_phone), Is.EqualTo(HttpStatusCode.NotFound), "no second login code was sent");
    }

    [Test]
    public async Task Show_answers_its_status_and_masked_phone_as_JSON()
    {
        var shown = await CliFleet.RunAsync("accounts", "show", _account, "--json");

        Assert.That(shown.ExitCode, Is.Zero, shown.ToString());
        Assert.That(shown.Json.GetProperty("accountId").GetString(), Is.EqualTo(_account));
        Assert.That(shown.Json.GetProperty("status").GetString(), Is.EqualTo("Online"));
        Assert.That(shown.Json.GetProperty("phoneMasked").GetString(), Is.EqualTo(Contracts.Accounts.PhoneNumber.Mask(_phone)));
        Assert.That(shown.Json.GetProperty("shard").GetInt32(), Is.EqualTo(3));
    }

    [Test]
    public async Task List_filters_by_status()
    {
        var online = await CliFleet.RunAsync("accounts", "list", "--status", "online", "--json");
        var loggedOut = await CliFleet.RunAsync("accounts", "list", "--status", "logged-out", "--json");

        Assert.That(online.ExitCode, Is.Zero, online.ToString());
        Assert.That(online.Json.EnumerateArray().Select(a => a.GetProperty("accountId").GetString()), Does.Contain(_account));
        Assert.That(loggedOut.ExitCode, Is.Zero, loggedOut.ToString());
        Assert.That(loggedOut.Json.EnumerateArray().Select(a => a.GetProperty("accountId").GetString()), Does.Not.Contain(_account));
    }

    [Test]
    public async Task List_is_a_plain_table_when_stdout_is_not_a_terminal()
    {
        var listed = await CliFleet.RunAsync("accounts", "list");

        Assert.That(listed.ExitCode, Is.Zero, listed.ToString());
        Assert.That(listed.Stdout, Does.Contain("ACCOUNT").And.Contain(_account).And.Not.Contain("\u001b").And.Not.Contain("╭"));
    }
}
