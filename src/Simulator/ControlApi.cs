using System.Text.Json;
using System.Text.Json.Serialization;

namespace TgFleet.Simulator;

/// <summary>An account to create (a Telegram user the fleet logs into).</summary>
public sealed record AccountSeed(string Phone, string? FirstName = null, string? LastName = null, string? Username = null, string? Password = null, string? PasswordHint = null);

/// <summary>An ordinary user to create (a recipient).</summary>
public sealed record UserSeed(string Phone, string? FirstName = null, string? LastName = null, string? Username = null, bool PrivacyRestricted = false, bool Deactivated = false, bool HidesPhone = false, IReadOnlyList<ScriptedReply>? Replies = null);

/// <summary>Bulk creation: "+{prefix}{i}" for i in [0, count), usernames "{usernamePrefix}{i}" when given.</summary>
public sealed record BulkSeed(int Count, string PhonePrefix, string? UsernamePrefix = null, bool Accounts = true);

/// <summary>Who was created.</summary>
public sealed record Created(long UserId, string Phone, string? Username);

/// <summary>Fault modes of one account; null leaves a setting unchanged.</summary>
public sealed record AccountFaults(
    int? FloodWaitSeconds = null,
    int? FloodAfterSends = null,
    int? PeerFloodAfter = null,
    bool? Banned = null,
    bool? PhoneNumberInvalid = null,
    int? LatencyMs = null,
    int? JitterMs = null,
    int? CodeRequestLimit = null,
    int? CodeLifetimeSeconds = null,
    bool? ExpireCode = null,
    bool? RevokeSessions = null,
    int? RestoreDelayMs = null);

/// <summary>Behaviour of one recipient; null leaves a setting unchanged.</summary>
public sealed record UserBehaviour(bool? PrivacyRestricted = null, bool? Deactivated = null, bool? HidesPhone = null, IReadOnlyList<ScriptedReply>? Replies = null);

/// <summary>A login code, read out of band.</summary>
public sealed record CodeView(string Phone, string Code, DateTimeOffset ExpiresAt, bool Expired);

/// <summary>A message injected into an account's inbox.</summary>
public sealed record InjectMessage(string From, string To, string Text);

/// <summary>What an injection created.</summary>
public sealed record Injected(long MessageId);

/// <summary>Network reachability, and optionally how long the cloud keeps a silent connection (seconds; TDLib's ping_disconnect_delay).</summary>
public sealed record NetworkState(bool Reachable)
{
    public double? DisconnectDelaySeconds { get; init; }
}

/// <summary>A proxy's state.</summary>
public sealed record ProxyState(string Server, int Port, bool Down);

/// <summary>Counts.</summary>
public sealed record Stats(int Accounts, int Users, long Delivered, int Connections);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AccountSeed[]))]
[JsonSerializable(typeof(UserSeed[]))]
[JsonSerializable(typeof(BulkSeed))]
[JsonSerializable(typeof(Created[]))]
[JsonSerializable(typeof(AccountFaults))]
[JsonSerializable(typeof(UserBehaviour))]
[JsonSerializable(typeof(CodeView))]
[JsonSerializable(typeof(InjectMessage))]
[JsonSerializable(typeof(Injected))]
[JsonSerializable(typeof(NetworkState))]
[JsonSerializable(typeof(ProxyState))]
[JsonSerializable(typeof(Stats))]
[JsonSerializable(typeof(ReceivedMessage[]))]
[JsonSerializable(typeof(WitnessSummary))]
public sealed partial class ControlJsonContext : JsonSerializerContext;
