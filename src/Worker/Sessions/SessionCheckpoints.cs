using System.Security.Cryptography;
using System.Text;
using TgFleet.Tdlib;
using TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Sessions;

/// <summary>
/// One account's session on this worker: its TDLib database directory, unpacked from the stored
/// session (encrypted, epoch-fenced) at start, re-keyed to the active key once logged in, and
/// checkpointed back when it becomes ready, periodically, and when it stops gracefully.
/// Never logs keys or session bytes.
/// </summary>
public sealed partial class SessionCheckpoints : IDisposable
{
    private readonly string _accountId;
    private readonly int _shard;
    private readonly SessionCipher _cipher;
    private readonly SessionStore _store;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string _databaseKeyId = string.Empty;

    internal SessionCheckpoints(string accountId, int shard, string dataDirectory, SessionCipher cipher, SessionStore store, ILogger logger)
    {
        _accountId = accountId;
        _shard = shard;
        _cipher = cipher;
        _store = store;
        _logger = logger;
        Directory = Path.Combine(dataDirectory, DirectoryName(accountId));
    }

    /// <summary>The lease epoch the session is written under.</summary>
    public long Epoch { get; private set; }

    /// <summary>The account's TDLib database directory on this worker.</summary>
    public string Directory { get; }

    /// <summary>TDLib's key for the local database as it is now (the restored session's, or the active one).</summary>
    internal byte[] DatabaseKey => _cipher.DatabaseKey(_accountId, _databaseKeyId);

    /// <summary>
    /// Empties <see cref="Directory"/> and unpacks <paramref name="restore"/> (if any) into it, to be
    /// written under <paramref name="epoch"/> from now on. Returns whether a session was restored.
    /// </summary>
    internal async Task<bool> RestoreAsync(StoredSession? restore, long epoch, CancellationToken cancellationToken)
    {
        Epoch = epoch;
        ResetDirectory();
        if (restore is null)
        {
            _databaseKeyId = _cipher.ActiveKeyId;
            return false;
        }

        var archive = _cipher.Decrypt(_accountId, restore.KeyId, restore.Blob);
        await SessionArchive.UnpackAsync(archive, Directory, cancellationToken);
        _databaseKeyId = restore.KeyId;
        return true;
    }

    /// <summary>
    /// Packs <see cref="Directory"/>, encrypts it with the active key and saves it under
    /// <see cref="Epoch"/>. Returns false when nothing was written: no session yet, or the epoch is
    /// stale (the lease moved on; logged, never retried).
    /// </summary>
    public async Task<bool> CheckpointAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await WriteAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The account has logged in: its database moves to the active key (if it is not on it), then a checkpoint.</summary>
    internal async Task OnReadyAsync(TdClient client, TimeSpan timeout)
    {
        if (_databaseKeyId != _cipher.ActiveKeyId && !await RekeyAsync(client, timeout))
        {
            return;
        }

        await CheckpointAsync(CancellationToken.None);
    }

    /// <summary>Deletes <see cref="Directory"/>: the database holds the session.</summary>
    internal void Delete() => ResetDirectory(recreate: false);

    /// <inheritdoc/>
    public void Dispose() => _gate.Dispose();

    /// <summary>Re-encrypts TDLib's local database under the active key, so the blob and its database key name the same key.</summary>
    private async Task<bool> RekeyAsync(TdClient client, TimeSpan timeout)
    {
        try
        {
            var key = _cipher.DatabaseKey(_accountId, _cipher.ActiveKeyId);
            await client.SendAsync(new SetDatabaseEncryptionKey { NewEncryptionKey = key }, timeout, CancellationToken.None);
            _databaseKeyId = _cipher.ActiveKeyId;
            return true;
        }
        catch (Exception e) when (e is TdException or TimeoutException)
        {
            // The stored session stays valid under its old key; it is not overwritten.
            Log.RekeyFailed(_logger, _accountId, _databaseKeyId, e.Message);
            return false;
        }
    }

    private async Task<bool> WriteAsync(CancellationToken cancellationToken)
    {
        if (_databaseKeyId != _cipher.ActiveKeyId || !System.IO.File.Exists(Path.Combine(Directory, "td.binlog")))
        {
            return false;
        }

        var archive = await SessionArchive.PackAsync(Directory, cancellationToken);
        var (keyId, blob) = _cipher.Encrypt(_accountId, archive);
        if (await _store.SaveAsync(new StoredSession(_accountId, _shard, Epoch, keyId, blob), cancellationToken))
        {
            Log.Checkpointed(_logger, _accountId, _shard, Epoch);
            return true;
        }

        Log.CheckpointStale(_logger, _accountId, _shard, Epoch);
        return false;
    }

    private void ResetDirectory(bool recreate = true)
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }

        if (recreate)
        {
            System.IO.Directory.CreateDirectory(Directory);
        }
    }

    /// <summary>A file-system-safe, fixed-length name for the account's directory.</summary>
    private static string DirectoryName(string accountId) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(accountId)))[..32];

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Checkpointed, Level = LogLevel.Information, Message = "Checkpointed account {AccountId} (shard {Shard}, epoch {Epoch})")]
        internal static partial void Checkpointed(ILogger logger, string accountId, int shard, long epoch);

        [LoggerMessage(EventId = EventIds.CheckpointStale, Level = LogLevel.Warning, Message = "Checkpoint of account {AccountId} refused: epoch {Epoch} is no longer shard {Shard}'s lease; not retried")]
        internal static partial void CheckpointStale(ILogger logger, string accountId, int shard, long epoch);

        [LoggerMessage(EventId = EventIds.RekeyFailed, Level = LogLevel.Warning, Message = "Account {AccountId} could not move its local database off key {KeyId} ({Error}); its stored session is kept as is")]
        internal static partial void RekeyFailed(ILogger logger, string accountId, string keyId, string error);
    }
}
