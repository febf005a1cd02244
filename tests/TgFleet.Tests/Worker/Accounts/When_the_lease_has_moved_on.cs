using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Tests.Simulator;

namespace TgFleet.Tests.Worker.Accounts;

[TestFixture, Category("Worker")]
public sealed class When_the_lease_has_moved_on
{
    private AccountTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await AccountTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task A_login_under_a_stale_epoch_stores_no_session()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var runtime = await _bed.StartRuntimeAsync(_bed.NewWorker(), account, epoch: AccountTestBed.LeaseEpoch - 1);
        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.AwaitingCode);
        await runtime.Login.SubmitCodeAsync(Guid.NewGuid(), await _bed.Sim.CodeAsync(phone), CancellationToken.None);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.Ready);

        var written = await runtime.Sessions.CheckpointAsync(CancellationToken.None);

        Assert.That(written, Is.False);
        Assert.That(await _bed.SessionRowAsync(account), Is.Null);
        await Testing.Wait.UntilAsync(() => _bed.Logs.All.Contains("no longer shard", StringComparison.Ordinal), AccountTestBed.Deadline);
    }

    [Test]
    public async Task A_graceful_stop_after_the_lease_moved_writes_nothing()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var runtime = await _bed.LogInAsync(_bed.NewWorker(), account, phone);
        await Testing.Wait.UntilAsync(async () => await _bed.SessionRowAsync(account) is not null, AccountTestBed.Deadline);
        var before = (await _bed.SessionRowAsync(account))!.Value;

        await _bed.MoveLeaseOnAsync(runtime.Shard);
        try
        {
            await runtime.StopAsync(graceful: true, CancellationToken.None);
        }
        finally
        {
            await _bed.RestoreLeaseAsync(runtime.Shard);
        }

        var after = (await _bed.SessionRowAsync(account))!.Value;
        Assert.That(after.Epoch, Is.EqualTo(before.Epoch));
        Assert.That(after.Blob, Is.EqualTo(before.Blob));
    }

    [Test]
    public async Task A_stop_that_is_not_graceful_writes_nothing_even_with_a_live_lease()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var runtime = await _bed.LogInAsync(_bed.NewWorker(), account, phone);
        await Testing.Wait.UntilAsync(async () => await _bed.SessionRowAsync(account) is not null, AccountTestBed.Deadline);
        var before = (await _bed.SessionRowAsync(account))!.Value;

        await runtime.StopAsync(graceful: false, CancellationToken.None);

        Assert.That((await _bed.SessionRowAsync(account))!.Value.Blob, Is.EqualTo(before.Blob));
    }
}
