namespace TgFleet.Contracts.Accounts;

/// <summary>An account's operational status.</summary>
public enum AccountStatus
{
    /// <summary>Connected and able to send.</summary>
    Online = 1,

    /// <summary>Connecting (or its proxy is unreachable).</summary>
    Connecting = 2,

    /// <summary>Telegram asked for a pause; nothing is sent until the event's <c>Until</c>.</summary>
    FloodWait = 3,

    /// <summary>Telegram reported PEER_FLOOD: the account may not message non-contacts for now.</summary>
    Limited = 4,

    /// <summary>Logged out; a new login is needed.</summary>
    LoggedOut = 5,

    /// <summary>Banned or deactivated by Telegram.</summary>
    Banned = 6,
}
