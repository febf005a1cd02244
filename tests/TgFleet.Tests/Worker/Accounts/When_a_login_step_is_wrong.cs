using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Simulator;
using TgFleet.Tests.Simulator;

namespace TgFleet.Tests.Worker.Accounts;

[TestFixture, Category("Worker")]
public sealed class When_a_login_step_is_wrong
{
    private AccountTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await AccountTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task A_wrong_code_fails_with_PHONE_CODE_INVALID_and_the_right_one_still_works()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var runtime = await _bed.StartRuntimeAsync(_bed.NewWorker(), account);
        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingCode);
        var code = await _bed.Sim.CodeAsync(phone);
        var wrong = code == "11111" ? "22222" : "11111";

        var submit = Guid.NewGuid();
        await runtime.Login.SubmitCodeAsync(submit, wrong, CancellationToken.None);
        var failed = await _bed.Observed.WaitForAsync(account, AuthenticationState.Failed);
        await runtime.Login.SubmitCodeAsync(Guid.NewGuid(), code, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.Ready);

        Assert.That(failed.Reason, Is.EqualTo("PHONE_CODE_INVALID"));
        Assert.That(failed.CommandId, Is.EqualTo(submit));
        Assert.That(_bed.Logs.All, Does.Not.Contain(code).And.Not.Contain(wrong).And.Contain("PHONE_CODE_INVALID"));
    }

    [Test]
    public async Task An_expired_code_fails_with_PHONE_CODE_EXPIRED_and_a_new_Authenticate_starts_over()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var runtime = await _bed.StartRuntimeAsync(_bed.NewWorker(), account);
        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingCode);
        var code = await _bed.Sim.CodeAsync(phone);
        await _bed.Sim.SetFaultsAsync(phone, new AccountFaults(ExpireCode: true));

        await runtime.Login.SubmitCodeAsync(Guid.NewGuid(), code, CancellationToken.None);
        var failed = await _bed.Observed.WaitForAsync(account, AuthenticationState.Failed);
        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingCode, occurrence: 2);
        await runtime.Login.SubmitCodeAsync(Guid.NewGuid(), await _bed.Sim.CodeAsync(phone), CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.Ready);

        Assert.That(failed.Reason, Is.EqualTo("PHONE_CODE_EXPIRED"));
    }

    [Test]
    public async Task A_wrong_password_fails_with_PASSWORD_HASH_INVALID()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone, password: "right-one", hint: "h");
        var account = AccountTestBed.NewAccountId();
        var runtime = await _bed.StartRuntimeAsync(_bed.NewWorker(), account);
        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingCode);
        await runtime.Login.SubmitCodeAsync(Guid.NewGuid(), await _bed.Sim.CodeAsync(phone), CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingPassword);

        await runtime.Login.SubmitPasswordAsync(Guid.NewGuid(), "wrong-one-xyz", CancellationToken.None);
        var failed = await _bed.Observed.WaitForAsync(account, AuthenticationState.Failed);

        Assert.That(failed.Reason, Is.EqualTo("PASSWORD_HASH_INVALID"));
        Assert.That(_bed.Logs.All, Does.Not.Contain("wrong-one-xyz").And.Not.Contain("right-one"));
    }

    [Test]
    public async Task An_invalid_number_fails_with_PHONE_NUMBER_INVALID()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        await _bed.Sim.SetFaultsAsync(phone, new AccountFaults(PhoneNumberInvalid: true));
        var account = AccountTestBed.NewAccountId();
        var runtime = await _bed.StartRuntimeAsync(_bed.NewWorker(), account);

        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        var failed = await _bed.Observed.WaitForAsync(account, AuthenticationState.Failed);

        Assert.That(failed.Reason, Is.EqualTo("PHONE_NUMBER_INVALID"));
        Assert.That((await _bed.AccountRowAsync(account))!.Value.Status, Is.EqualTo("failed"));
    }

    [Test]
    public async Task An_unregistered_number_fails_with_PHONE_NUMBER_UNREGISTERED()
    {
        var phone = SimulatorHarness.NewPhone();
        var account = AccountTestBed.NewAccountId();
        var runtime = await _bed.StartRuntimeAsync(_bed.NewWorker(), account);
        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingCode);

        await runtime.Login.SubmitCodeAsync(Guid.NewGuid(), await _bed.Sim.CodeAsync(phone), CancellationToken.None);
        var failed = await _bed.Observed.WaitForAsync(account, AuthenticationState.Failed);

        Assert.That(failed.Reason, Is.EqualTo("PHONE_NUMBER_UNREGISTERED"));
    }

    [Test]
    public async Task Too_many_code_requests_fail_with_the_flood_wait()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        await _bed.Sim.SetFaultsAsync(phone, new AccountFaults(CodeRequestLimit: 1));
        var account = AccountTestBed.NewAccountId();
        var runtime = await _bed.StartRuntimeAsync(_bed.NewWorker(), account);
        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingCode);

        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        var failed = await _bed.Observed.WaitForAsync(account, AuthenticationState.Failed);

        Assert.That(failed.Reason, Does.StartWith("FLOOD_WAIT_"));
    }
}
