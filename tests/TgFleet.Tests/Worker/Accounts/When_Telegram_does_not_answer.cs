using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Tests.Simulator;

namespace TgFleet.Tests.Worker.Accounts;

[TestFixture, Category("Worker")]
public sealed class When_Telegram_does_not_answer
{
    private AccountTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await AccountTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _bed.Sim.SetReachableAsync(true);
        await _bed.DisposeAsync();
    }

    [Test]
    public async Task The_login_step_fails_with_LOGIN_STEP_TIMEOUT()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var worker = _bed.NewWorker(loginStepTimeout: TimeSpan.FromSeconds(1));
        var runtime = await _bed.StartRuntimeAsync(worker, account);
        await _bed.Sim.SetReachableAsync(false);

        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        var failed = await _bed.Observed.WaitForAsync(account, AuthenticationState.Failed);

        Assert.That(failed.Reason, Is.EqualTo("LOGIN_STEP_TIMEOUT"));
    }
}
