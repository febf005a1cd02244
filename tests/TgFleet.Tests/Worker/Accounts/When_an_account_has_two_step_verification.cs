using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Tests.Simulator;

namespace TgFleet.Tests.Worker.Accounts;

[TestFixture, Category("Worker")]
public sealed class When_an_account_has_two_step_verification
{
    private AccountTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await AccountTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task It_asks_for_the_password_with_its_hint_then_is_ready()
    {
        var phone = SimulatorHarness.NewPhone();
        const string password = "correct horse 42";
        await _bed.Sim.SeedAccountAsync(phone, password: password, hint: "the horse");
        var account = AccountTestBed.NewAccountId();
        var runtime = await _bed.StartRuntimeAsync(_bed.NewWorker(), account);

        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingCode);
        await runtime.Login.SubmitCodeAsync(Guid.NewGuid(), await _bed.Sim.CodeAsync(phone), CancellationToken.None);
        var awaiting = await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingPassword);
        await runtime.Login.SubmitPasswordAsync(Guid.NewGuid(), password, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.Ready);

        Assert.That(awaiting.PasswordHint, Is.EqualTo("the horse"));
        Assert.That(_bed.Observed.Of(account).Select(c => c.State),
            Is.EqualTo(new[] { AuthenticationState.AwaitingCode, AuthenticationState.AwaitingPassword, AuthenticationState.Ready }));
        Assert.That(_bed.Logs.All, Does.Not.Contain(password));
    }
}
