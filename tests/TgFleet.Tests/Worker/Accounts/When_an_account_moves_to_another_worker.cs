using System.Net;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Tests.Simulator;

namespace TgFleet.Tests.Worker.Accounts;

[TestFixture, Category("Worker")]
public sealed class When_an_account_moves_to_another_worker
{
    private AccountTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await AccountTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task It_resumes_from_its_stored_session_without_a_new_code_or_a_duplicated_key()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var first = await _bed.LogInAsync(_bed.NewWorker(), account, phone);
        Assert.That(await _bed.PendingCodeStatusAsync(phone), Is.EqualTo(HttpStatusCode.NotFound), "the login used its code up");
        await first.StopAsync(graceful: true, CancellationToken.None);
        var stored = await _bed.Sessions.LoadAsync(account, CancellationToken.None);

        var second = await _bed.StartRuntimeAsync(_bed.NewWorker(), account, stored);
        await _bed.Observed.WaitForAsync(account, AuthenticationState.Ready, occurrence: 2);

        Assert.That(second.Sessions.Directory, Is.Not.EqualTo(first.Sessions.Directory));
        Assert.That(Directory.Exists(first.Sessions.Directory), Is.False, "the first worker's local copy is gone");
        Assert.That(_bed.Observed.Of(account).Select(c => c.State),
            Is.EqualTo(new[] { AuthenticationState.AwaitingCode, AuthenticationState.Ready, AuthenticationState.Ready }));
        Assert.That(await _bed.PendingCodeStatusAsync(phone), Is.EqualTo(HttpStatusCode.NotFound), "no new login code was requested");
        Assert.That((await _bed.Sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero);
    }
}
