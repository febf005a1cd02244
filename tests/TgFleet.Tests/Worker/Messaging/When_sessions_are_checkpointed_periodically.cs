using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NUnit.Framework;
using TgFleet.Worker.Sessions;

namespace TgFleet.Tests.Worker.Messaging;

[TestFixture, Category("Worker")]
public sealed class When_sessions_are_checkpointed_periodically
{
    private SendingBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await SendingBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task Every_ready_account_is_written_again_under_the_current_epoch()
    {
        var (account, _) = await _bed.LogInAsync();
        await TgFleet.Testing.Wait.UntilAsync(async () => await _bed.Bed.SessionRowAsync(account) is not null, TimeSpan.FromSeconds(20));
        await using (var conn = await _bed.Bed.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("UPDATE sessions SET blob = '\\x00'::bytea WHERE account_id = @Account", new { Account = account });
        }

        var checkpoints = new PeriodicCheckpoints(_bed.Registry, Options.Create(new SessionOptions()), TimeProvider.System, NullLogger<PeriodicCheckpoints>.Instance);
        var written = await checkpoints.RunOnceAsync(CancellationToken.None);

        Assert.That(written, Is.GreaterThanOrEqualTo(1));
        var row = await _bed.Bed.SessionRowAsync(account);
        Assert.That(row!.Value.Blob, Has.Length.GreaterThan(100), "the placeholder blob was replaced by a real checkpoint");
        Assert.That(_bed.Bed.Cipher.Decrypt(account, row.Value.KeyId, row.Value.Blob), Is.Not.Empty);
    }
}
