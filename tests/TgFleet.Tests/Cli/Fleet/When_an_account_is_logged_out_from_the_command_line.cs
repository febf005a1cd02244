using NUnit.Framework;

namespace TgFleet.Tests.Cli.Fleet;

[TestFixture, Category("Cli")]
public sealed class When_an_account_is_logged_out_from_the_command_line
{
    [Test]
    public async Task Logout_reports_it_logged_out_and_remove_makes_it_unknown()
    {
        var account = CliFleet.Account("logout");

        var loggedOut = await CliFleet.RunAsync("accounts", "logout", account.Id, "--json");
        var shown = await CliFleet.RunAsync("accounts", "show", account.Id, "--json");
        var removed = await CliFleet.RunAsync("accounts", "remove", account.Id);
        var gone = await CliFleet.RunAsync("accounts", "show", account.Id);

        Assert.That(loggedOut.ExitCode, Is.Zero, loggedOut.ToString());
        Assert.That(loggedOut.Json.GetProperty("status").GetString(), Is.EqualTo("LoggedOut"));
        Assert.That(shown.Json.GetProperty("status").GetString(), Is.EqualTo("LoggedOut"), shown.ToString());
        Assert.That(removed.ExitCode, Is.Zero, removed.ToString());
        Assert.That(removed.Stdout, Does.Contain($"{account.Id}: logged-out (ACCOUNT_REMOVED)"));
        CliFleet.AssertFailure(gone, 5, $"unknown account '{account.Id}'");
    }
}
