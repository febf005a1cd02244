namespace TgFleet.Simulator;

/// <summary>
/// One Telegram user as the cloud knows it: an account the fleet logs into (it has a phone and
/// may have a 2FA password) or an ordinary user who receives messages. Mutable fields are guarded
/// by locking the instance.
/// </summary>
public sealed class SimUser
{
    public required long Id { get; init; }
    public required string Phone { get; init; }
    public string FirstName { get; set; } = string.Empty;
    public string LastName { get; set; } = string.Empty;
    public string? Username { get; set; }
    public bool IsAccount { get; init; }
    public string? Password { get; set; }
    public string PasswordHint { get; set; } = string.Empty;

    // Account faults (see AccountFaults).
    public bool Banned { get; set; }
    public bool PhoneNumberInvalid { get; set; }
    public int FloodAfterSends { get; set; }
    public int FloodWaitSeconds { get; set; }
    public int PeerFloodAfter { get; set; }
    public int LatencyMs { get; set; }
    public int JitterMs { get; set; }
    /// <summary>How long a client that restores a stored session of this account takes to become ready (a slow database open).</summary>
    public int RestoreDelayMs { get; set; }
    public int CodeRequestLimit { get; set; } = 5;
    public int CodeLifetimeSeconds { get; set; } = 300;

    // Recipient behaviour.
    public bool PrivacyRestricted { get; set; }
    public bool Deactivated { get; set; }
    public bool HidesPhone { get; set; }
    public IReadOnlyList<ScriptedReply> Replies { get; set; } = [];

    // Send state (per account, under lock(this)).
    internal DateTimeOffset FloodUntil { get; set; }
    internal bool FloodNotified { get; set; }
    internal int SendsSinceFlood { get; set; }
    internal int NonContactSends { get; set; }
    internal int NextMessageId { get; set; }
    internal HashSet<long> Contacts { get; } = [];
    internal HashSet<long> ContactedPeers { get; } = [];
    internal Dictionary<long, long> SentRandomIds { get; } = [];
    internal List<DateTimeOffset> CodeRequests { get; } = [];
    internal LoginCode? PendingCode { get; set; }
    internal bool OptedOut { get; set; }
    internal List<StoredMessage> Dialogs { get; } = [];

    /// <summary>The account's last accepted message reaches its recipient when this completes: deliveries keep the order of acceptance.</summary>
    internal Task DeliveredInOrder { get; set; } = Task.CompletedTask;

    /// <summary>Incoming messages no live session received yet (handed out by getDifference).</summary>
    internal List<StoredMessage> Undelivered { get; } = [];
}

/// <summary>A reply a scripted user sends after receiving a message.</summary>
public sealed record ScriptedReply(string Text, int DelayMs);

/// <summary>A login code sent out of band.</summary>
public sealed record LoginCode(string Code, DateTimeOffset ExpiresAt, string PhoneCodeHash)
{
    public bool Expired { get; set; }
    public bool PasswordPending { get; set; }
}

/// <summary>A message in one account's view of a private chat.</summary>
public sealed record StoredMessage(long Id, long PeerId, bool Outgoing, string Text, long Date, string EntitiesJson);

/// <summary>A message a user received: what the witness reports.</summary>
public sealed record ReceivedMessage(long FromUserId, string FromPhone, long ToUserId, string Text, DateTimeOffset Time);

/// <summary>An authorization (auth key) the cloud handed out.</summary>
public sealed class SimSession
{
    public required string AuthKey { get; init; }
    public required long UserId { get; init; }
    public bool Revoked { get; set; }
    internal BackendConnection? LiveConnection { get; set; }
    internal int LiveClientId { get; set; }
    internal string? LiveInstance { get; set; }
}

/// <summary>An AUTH_KEY_DUPLICATED event the witness reports.</summary>
public sealed record AuthKeyDuplicatedEvent(long UserId, string Phone, DateTimeOffset Time);
