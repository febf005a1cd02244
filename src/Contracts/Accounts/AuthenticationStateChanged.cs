namespace TgFleet.Contracts.Accounts;

/// <summary>An account's login moved to <paramref name="State"/>.</summary>
/// <param name="CommandId">The command that caused it, or <see cref="Guid.Empty"/> when Telegram did.</param>
/// <param name="AccountId">The upstream-chosen account key.</param>
/// <param name="State">The new state.</param>
/// <param name="Timestamp">When the worker saw it.</param>
public sealed record AuthenticationStateChanged(Guid CommandId, string AccountId, AuthenticationState State, DateTimeOffset Timestamp)
{
    /// <summary>Why, when <see cref="State"/> is <see cref="AuthenticationState.Failed"/> or <see cref="AuthenticationState.LoggedOut"/>:
    /// a machine-readable reason such as <c>PHONE_CODE_INVALID</c>, <c>PHONE_CODE_EXPIRED</c>, <c>PASSWORD_HASH_INVALID</c>,
    /// <c>PHONE_NUMBER_INVALID</c>, <c>PHONE_NUMBER_UNREGISTERED</c>, <c>AUTH_KEY_DUPLICATED</c>, <c>UNSUPPORTED_LOGIN</c>.</summary>
    public string? Reason { get; init; }

    /// <summary>The password hint Telegram gives with <see cref="AuthenticationState.AwaitingPassword"/>.</summary>
    public string? PasswordHint { get; init; }

    /// <summary>How the code was sent (e.g. <c>telegram_message</c>, <c>sms</c>) with <see cref="AuthenticationState.AwaitingCode"/>.</summary>
    public string? CodeDelivery { get; init; }
}
