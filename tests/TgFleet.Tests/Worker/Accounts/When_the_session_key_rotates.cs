using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Tests.Simulator;
using TgFleet.Worker.Sessions;

namespace TgFleet.Tests.Worker.Accounts;

[TestFixture, Category("Worker")]
public sealed class When_the_session_key_rotates
{
    private AccountTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await AccountTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task A_session_stored_under_the_old_key_resumes_and_is_rewritten_under_the_new_one()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var first = await _bed.LogInAsync(_bed.NewWorker(), account, phone);
        await first.StopAsync(graceful: true, CancellationToken.None);
        Assert.That((await _bed.SessionRowAsync(account))!.Value.KeyId, Is.EqualTo("k1"));

        // The operator adds k2 and makes it active; k1 stays configured so old blobs stay readable.
        var rotated = new SessionCipher(Options.Create(new SessionOptions
        {
            ActiveKeyId = "k2",
            Keys = new() { ["k1"] = _bed.KeyOne, ["k2"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) },
        }));
        var second = await _bed.StartRuntimeAsync(_bed.NewWorker() with { Cipher = rotated }, account, await _bed.Sessions.LoadAsync(account, CancellationToken.None));
        await _bed.Observed.WaitForAsync(account, AuthenticationState.Ready, occurrence: 2);
        await TgFleet.Testing.Wait.UntilAsync(async () => (await _bed.SessionRowAsync(account))!.Value.KeyId == "k2", AccountTestBed.Deadline);
        await second.StopAsync(graceful: true, CancellationToken.None);

        // Its local database moved to the new key too: a third worker starts it from the k2 blob.
        await _bed.StartRuntimeAsync(_bed.NewWorker() with { Cipher = rotated }, account, await _bed.Sessions.LoadAsync(account, CancellationToken.None));
        await _bed.Observed.WaitForAsync(account, AuthenticationState.Ready, occurrence: 3);

        Assert.That((await _bed.SessionRowAsync(account))!.Value.KeyId, Is.EqualTo("k2"));
        Assert.That(await _bed.PendingCodeStatusAsync(phone), Is.EqualTo(HttpStatusCode.NotFound), "no new login at any step");
        Assert.That(_bed.Logs.All, Does.Not.Contain(_bed.KeyOne));
    }
}
