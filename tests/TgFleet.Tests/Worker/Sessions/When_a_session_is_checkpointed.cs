using System.Formats.Tar;
using Dapper;
using Npgsql;
using NUnit.Framework;
using TgFleet.Testing;
using TgFleet.Worker.Sessions;

namespace TgFleet.Tests.Worker.Sessions;

[TestFixture, Category("Worker")]
public sealed class When_a_session_is_checkpointed
{
    private TestDatabase _db = null!;
    private string _dir = null!;

    [SetUp]
    public async Task Prepare()
    {
        _db = await TestInfrastructure.CreateDatabaseAsync();
        _dir = TestInfrastructure.CreateTempDirectory("session");
        await using var conn = new NpgsqlConnection(_db.ConnectionString);
        await conn.ExecuteAsync("""
            INSERT INTO accounts (account_id, shard) VALUES ('acct', 5);
            INSERT INTO shard_leases (shard, owner, epoch, expires_at) VALUES (5, 'me', 3, now() + interval '1 minute');
            """);
    }

    [TearDown]
    public async Task CleanUp()
    {
        await _db.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public async Task Its_directory_round_trips_through_the_database()
    {
        var source = Directory.CreateDirectory(Path.Combine(_dir, "source")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(source, "td.binlog"), [1, 2, 3, 250]);
        await File.WriteAllTextAsync(Path.Combine(source, "extra"), "x");
        var store = new SessionStore(NpgsqlDataSource.Create(_db.ConnectionString));

        var saved = await store.SaveAsync(new StoredSession("acct", 5, 3, "k1", await SessionArchive.PackAsync(source, default)), default);
        var loaded = await store.LoadAsync("acct", default);
        var target = Path.Combine(_dir, "target");
        await SessionArchive.UnpackAsync(loaded!.Blob, target, default);

        Assert.That(saved, Is.True);
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(target, "td.binlog")), Is.EqualTo(new byte[] { 1, 2, 3, 250 }));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(target, "extra")), Is.EqualTo("x"));
    }

    [Test]
    public async Task A_stale_epoch_writes_nothing()
    {
        var store = new SessionStore(NpgsqlDataSource.Create(_db.ConnectionString));

        var saved = await store.SaveAsync(new StoredSession("acct", 5, 2, "k1", [9]), default);

        Assert.That(saved, Is.False);
        Assert.That(await store.LoadAsync("acct", default), Is.Null);
    }

    [Test]
    public async Task An_archive_entry_that_escapes_the_directory_is_refused()
    {
        using var buffer = new MemoryStream();
        await using (var tar = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "../escaped") { DataStream = new MemoryStream([1]) };
            await tar.WriteEntryAsync(entry);
        }

        Assert.ThrowsAsync<InvalidDataException>(() => SessionArchive.UnpackAsync(buffer.ToArray(), Path.Combine(_dir, "t"), default));
        Assert.That(File.Exists(Path.Combine(_dir, "escaped")), Is.False);
    }
}
