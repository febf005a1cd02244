using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using TgFleet.Contracts.Accounts;
using TgFleet.Worker.Sessions;

namespace TgFleet.Worker.Proxies;

/// <summary>
/// Which proxy an account connects through: its own (SetAccountProxy, stored in
/// <c>account_proxies</c> with the password or secret encrypted), else the least used healthy
/// proxy of the pool (<see cref="ProxyOptions.Pool"/>), else none. Also the health of every proxy
/// in use, as the last <c>testProxy</c> found it (<see cref="ProxyHealthChecks"/>).
/// </summary>
public sealed class AccountProxies(NpgsqlDataSource db, SessionCipher cipher, IOptions<ProxyOptions> options)
{
    private readonly ConcurrentDictionary<string, bool> _down = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The pool.</summary>
    public IReadOnlyList<ProxySettings> Pool { get; } = [.. options.Value.Pool.Select(p => p.ToSettings())];

    /// <summary>A proxy's identity in logs, events and health: <c>host:port</c> (no credentials).</summary>
    public static string Key(ProxySettings proxy)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        return proxy.Server + ":" + proxy.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Whether the last health check found the proxy reachable (true until checked).</summary>
    public bool IsHealthy(ProxySettings proxy) => !_down.ContainsKey(Key(proxy));

    /// <summary>Records a health check; true when the proxy's health changed.</summary>
    public bool Report(ProxySettings proxy, bool healthy) =>
        healthy ? _down.TryRemove(Key(proxy), out _) : _down.TryAdd(Key(proxy), true);

    /// <summary>
    /// The healthy pool proxy with the fewest of <paramref name="inUse"/> on it (pool order breaks
    /// ties), or null when the pool has no healthy proxy.
    /// </summary>
    public ProxySettings? PickFromPool(IEnumerable<ProxySettings?> inUse)
    {
        var load = inUse.OfType<ProxySettings>().GroupBy(Key, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);
        return Pool.Where(IsHealthy).OrderBy(p => load.GetValueOrDefault(Key(p))).FirstOrDefault();
    }

    /// <summary>The account's own proxy, or null.</summary>
    public async Task<ProxySettings?> LoadAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var row = await conn.QuerySingleOrDefaultAsync<(string Kind, string Server, int Port, string? Username, string? KeyId, byte[]? Secret)?>(new CommandDefinition(
            "SELECT kind, server, port, username, key_id, secret FROM account_proxies WHERE account_id = @AccountId",
            new { AccountId = accountId }, cancellationToken: cancellationToken));
        if (row is not { } r)
        {
            return null;
        }

        var secrets = r.Secret is null ? new Secrets(null, null)
            : JsonSerializer.Deserialize<Secrets>(cipher.Decrypt(accountId, r.KeyId!, r.Secret))!;
        return new ProxySettings(Kinds[r.Kind], r.Server, r.Port) { Username = r.Username, Password = secrets.Password, Secret = secrets.Secret };
    }

    /// <summary>Stores the account's own proxy (the account's row must exist).</summary>
    public async Task SaveAsync(string accountId, ProxySettings proxy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        string? keyId = null;
        byte[]? secret = null;
        if (proxy.Password is not null || proxy.Secret is not null)
        {
            (keyId, secret) = cipher.Encrypt(accountId, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Secrets(proxy.Password, proxy.Secret))));
        }

        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        await conn.ExecuteAsync(new CommandDefinition("""
            INSERT INTO account_proxies (account_id, kind, server, port, username, key_id, secret)
            VALUES (@AccountId, @Kind, @Server, @Port, @Username, @KeyId, @Secret)
            ON CONFLICT (account_id) DO UPDATE SET kind = excluded.kind, server = excluded.server, port = excluded.port,
                username = excluded.username, key_id = excluded.key_id, secret = excluded.secret, updated_at = now()
            """, new
        {
            AccountId = accountId,
            Kind = Kinds.First(k => k.Value == proxy.Kind).Key,
            proxy.Server,
            proxy.Port,
            proxy.Username,
            KeyId = keyId,
            Secret = secret,
        }, cancellationToken: cancellationToken));
    }

    /// <summary>Forgets the account's own proxy.</summary>
    public async Task DeleteAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        await conn.ExecuteAsync(new CommandDefinition("DELETE FROM account_proxies WHERE account_id = @AccountId", new { AccountId = accountId }, cancellationToken: cancellationToken));
    }

    private static readonly Dictionary<string, ProxyKind> Kinds = new(StringComparer.Ordinal)
    {
        ["socks5"] = ProxyKind.Socks5,
        ["http"] = ProxyKind.Http,
        ["mtproto"] = ProxyKind.MtProto,
    };

    private sealed record Secrets(string? Password, string? Secret);
}
