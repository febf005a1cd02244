using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TgFleet.Simulator.Backend;

/// <summary>What td.binlog holds for the simulator: the session's auth key and who it belongs to.</summary>
internal sealed record StoredSession(string AuthKey, KnownUser Me);

/// <summary>
/// td.binlog in the client's database_directory, AES-256-GCM encrypted with a key derived from
/// database_encryption_key (empty = TDLib's default key, "cucumber"). A file that does not
/// decrypt with the given key gives TDLib's 401 "Wrong database encryption key".
/// </summary>
internal static class SessionFile
{
    public const string FileName = "td.binlog";
    private static readonly byte[] Magic = "TGSIMBL1"u8.ToArray();
    private static readonly byte[] DefaultKey = "cucumber"u8.ToArray();

    public static string PathOf(string directory) => Path.Combine(directory, FileName);

    /// <summary>Reads the session; (null, false) when there is no file; (null, true) when the key is wrong.</summary>
    public static (StoredSession? Session, bool WrongKey) Read(string directory, byte[] databaseKey)
    {
        var path = PathOf(directory);
        if (!File.Exists(path))
        {
            return (null, false);
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length + 28 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            return (null, true);
        }

        var nonce = bytes.AsSpan(Magic.Length, 12);
        var tag = bytes.AsSpan(Magic.Length + 12, 16);
        var cipher = bytes.AsSpan(Magic.Length + 28);
        var plain = new byte[cipher.Length];
        try
        {
            using var aes = new AesGcm(DeriveKey(databaseKey), 16);
            aes.Decrypt(nonce, cipher, tag, plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            return (null, true);
        }

        using var json = JsonDocument.Parse(plain);
        var root = json.RootElement;
        if (!root.TryGetProperty("auth_key", out var key))
        {
            return (null, false);
        }

        var me = root.GetProperty("me");
        return (new StoredSession(key.GetString()!, new KnownUser(
            me.GetProperty("id").GetInt64(), me.GetProperty("first").GetString()!, me.GetProperty("last").GetString()!,
            me.GetProperty("username").GetString()!, me.GetProperty("phone").GetString()!, false, false)), false);
    }

    /// <summary>Writes the file (atomically: temp file, then rename). A null session writes an empty database.</summary>
    public static void Write(string directory, byte[] databaseKey, StoredSession? session)
    {
        Directory.CreateDirectory(directory);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            if (session is not null)
            {
                w.WriteString("auth_key", session.AuthKey);
                w.WriteStartObject("me");
                w.WriteNumber("id", session.Me.Id);
                w.WriteString("first", session.Me.FirstName);
                w.WriteString("last", session.Me.LastName);
                w.WriteString("username", session.Me.Username);
                w.WriteString("phone", session.Me.Phone);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        var plain = stream.ToArray();
        var output = new byte[Magic.Length + 28 + plain.Length];
        Magic.CopyTo(output, 0);
        var nonce = output.AsSpan(Magic.Length, 12);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(DeriveKey(databaseKey), 16))
        {
            aes.Encrypt(nonce, plain, output.AsSpan(Magic.Length + 28), output.AsSpan(Magic.Length + 12, 16));
        }

        var path = PathOf(directory);
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, output);
        File.Move(temp, path, overwrite: true);
    }

    public static void Delete(string directory)
    {
        var path = PathOf(directory);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    private static byte[] DeriveKey(byte[] databaseKey) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, databaseKey.Length == 0 ? DefaultKey : databaseKey, 32,
            Encoding.ASCII.GetBytes("tgfleet-simulator-binlog"), Encoding.ASCII.GetBytes("td.binlog v1"));
}
