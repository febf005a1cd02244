using NUnit.Framework;
using TgFleet.Tests.Simulator;
using TgFleet.Tests.Worker.Fleet;

namespace TgFleet.Tests.Cli.Fleet;

[TestFixture, Category("Cli")]
public sealed class When_a_person_logs_in_at_a_terminal
{
    [Test]
    public async Task The_code_and_the_password_are_asked_without_echo_and_never_shown()
    {
        var phone = SimulatorHarness.NewPhone();
        var password = "pw-" + Guid.NewGuid().ToString("N")[..10];
        await CliFleet.Bed.Sim.SeedAccountAsync(phone, password, hint: "the usual one");
        var account = FleetBed.AccountOnShard(2);

        await using var terminal = await Terminal.StartAsync(["dotnet", CliProcess.Dll, "accounts", "add", account, "--phone", phone, .. CliFleet.Connection]);
        await terminal.WaitForAsync("Login code: (typed without echo)", FleetBed.Deadline);
        var code = await CliFleet.Bed.Sim.CodeAsync(phone);
        await terminal.TypeLineAsync(code);
        await terminal.WaitForAsync("Two-step verification password (hint: the usual one): (typed without echo)", FleetBed.Deadline);
        await terminal.TypeLineAsync(password);
        var screen = await terminal.WaitForAsync("EXIT=", FleetBed.Deadline);

        Assert.That(screen, Does.Contain("EXIT=0").And.Contain($"{account}: logged in").And.Contain("online"), screen);
        Assert.That(screen, Does.Not.Contain(password).And.Not.Contain(code), "neither is ever shown");
    }
}
