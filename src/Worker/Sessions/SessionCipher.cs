using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace TgFleet.Worker.Sessions;

/// <summary>
/// AES-256-GCM for session blobs, with the key id stored beside each blob so that keys rotate:
/// the active key encrypts, every configured key decrypts what it encrypted. The account id is
/// authenticated data, so a blob cannot be moved to another account. Also derives each account's
/// TDLib <c>database_encryption_key</c> from a master key (HKDF-SHA256), so the local copy of a
/// session is encrypted too.
/// </summary>
public sealed class SessionCipher
{
    /// <summary>Bytes of a master key.</summary>
    public const int KeySize = 32;

    private const byte FormatVersion = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly Dictionary<string, byte[]> _keys;

    public SessionCipher(IOptions<SessionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ActiveKeyId = options.Value.ActiveKeyId;
        _keys = options.Value.Keys.ToDictionary(k => k.Key, k => Convert.FromBase64String(k.Value), StringComparer.Ordinal);
        if (!_keys.ContainsKey(ActiveKeyId))
        {
            throw new InvalidOperationException($"Sessions:ActiveKeyId '{ActiveKeyId}' names no key in Sessions:Keys.");
        }
    }

    /// <summary>The key new blobs are encrypted with.</summary>
    public string ActiveKeyId { get; }

    /// <summary>Encrypts <paramref name="plaintext"/> for <paramref name="accountId"/> with the active key.</summary>
    /// <returns>The key id and the blob: version (1 byte), nonce (12), tag (16), ciphertext.</returns>
    public (string KeyId, byte[] Blob) Encrypt(string accountId, ReadOnlySpan<byte> plaintext)
    {
        var blob = new byte[1 + NonceSize + TagSize + plaintext.Length];
        blob[0] = FormatVersion;
        var nonce = blob.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_keys[ActiveKeyId], TagSize);
        aes.Encrypt(nonce, plaintext, blob.AsSpan(1 + NonceSize + TagSize), blob.AsSpan(1 + NonceSize, TagSize), AssociatedData(accountId));
        return (ActiveKeyId, blob);
    }

    /// <summary>Decrypts a blob written by <see cref="Encrypt"/> with key <paramref name="keyId"/>.</summary>
    /// <exception cref="SessionDecryptionException">The key is not configured, or the blob was altered or belongs to another account.</exception>
    public byte[] Decrypt(string accountId, string keyId, ReadOnlySpan<byte> blob)
    {
        if (!_keys.TryGetValue(keyId, out var key))
        {
            throw new SessionDecryptionException($"The session was encrypted with key '{keyId}', which is not in Sessions:Keys (was it removed too early in a rotation?).");
        }

        if (blob.Length < 1 + NonceSize + TagSize || blob[0] != FormatVersion)
        {
            throw new SessionDecryptionException("The session blob is not in a format this worker reads.");
        }

        var plaintext = new byte[blob.Length - 1 - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        try
        {
            aes.Decrypt(blob.Slice(1, NonceSize), blob[(1 + NonceSize + TagSize)..], blob.Slice(1 + NonceSize, TagSize), plaintext, AssociatedData(accountId));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new SessionDecryptionException("The session blob failed authentication: it was altered, or belongs to another account.", e);
        }

        return plaintext;
    }

    /// <summary>
    /// The TDLib <c>database_encryption_key</c> of <paramref name="accountId"/> under master key
    /// <paramref name="keyId"/>: HKDF-SHA256 with info <c>tgfleet/tdlib-database/{accountId}</c>.
    /// </summary>
    public byte[] DatabaseKey(string accountId, string keyId)
    {
        if (!_keys.TryGetValue(keyId, out var key))
        {
            throw new SessionDecryptionException($"Key '{keyId}' is not in Sessions:Keys.");
        }

        return HKDF.DeriveKey(HashAlgorithmName.SHA256, key, KeySize, salt: [], info: Encoding.UTF8.GetBytes("tgfleet/tdlib-database/" + accountId));
    }

    private static byte[] AssociatedData(string accountId)
    {
        var id = Encoding.UTF8.GetBytes(accountId);
        var data = new byte[4 + id.Length];
        BinaryPrimitives.WriteInt32BigEndian(data, id.Length);
        id.CopyTo(data, 4);
        return data;
    }
}

/// <summary>A session blob could not be decrypted; the reason says why (never the key).</summary>
public sealed class SessionDecryptionException : Exception
{
    public SessionDecryptionException(string message) : base(message)
    {
    }

    public SessionDecryptionException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public SessionDecryptionException()
    {
    }
}
