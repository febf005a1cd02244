using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;

namespace TgFleet.Tests.Worker.Accounts;

[TestFixture, Category("Worker")]
public sealed class When_an_account_logs_in_with_a_code
{
    private AccountTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await AccountTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task It_is_ready_and_its_session_is_stored_under_the_lease_epoch()
    {
        var phone = SimulatorPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var runtime = await _bed.StartRuntimeAsync(_bed.NewWorker(), account);
        var authenticate = Guid.NewGuid();

        await runtime.Login.SetPhoneAsync(authenticate, phone, CancellationToken.None);
        var awaiting = await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingCode);
        var code = (await _bed.CodeViewAsync(phone)).Code;
        var submit = Guid.NewGuid();
        await runtime.Login.SubmitCodeAsync(submit, code, CancellationToken.None);
        var ready = await _bed.Observed.WaitForAsync(account, AuthenticationState.Ready);
        await Testing.Wait.UntilAsync(async () => await _bed.SessionRowAsync(account) is not null, AccountTestBed.Deadline);

        Assert.That(awaiting.CommandId, Is.EqualTo(authenticate));
        Assert.That(awaiting.CodeDelivery, Is.EqualTo("sms"));
        Assert.That(ready.CommandId, Is.EqualTo(submit));
        var session = (await _bed.SessionRowAsync(account))!.Value;
        Assert.That(session.Epoch, Is.EqualTo(AccountTestBed.LeaseEpoch));
        Assert.That(session.KeyId, Is.EqualTo(_bed.Cipher.ActiveKeyId));
        var row = (await _bed.AccountRowAsync(account))!.Value;
        Assert.That(row.PhoneMasked, Is.EqualTo(PhoneNumber.Mask(phone)));
        Assert.That(row.Status, Is.EqualTo("online"));
        Assert.That(_bed.Logs.All, Does.Not.Contain(code).And.Not.Contain(phone));
        Assert.That(ShardAddressing.ShardOf(account), Is.EqualTo(runtime.Shard));
    }

    private static string SimulatorPhone() => Tests.Simulator.SimulatorHarness.NewPhone();
}
