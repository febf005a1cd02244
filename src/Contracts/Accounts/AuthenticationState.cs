namespace TgFleet.Contracts.Accounts;

/// <summary>Where an account's login stands.</summary>
public enum AuthenticationState
{
    /// <summary>Telegram sent a code; answer with <see cref="SubmitAuthenticationCode"/>.</summary>
    AwaitingCode = 1,

    /// <summary>The account has two-step verification; answer with <see cref="SubmitAuthenticationPassword"/>.</summary>
    AwaitingPassword = 2,

    /// <summary>Logged in and online.</summary>
    Ready = 3,

    /// <summary>The login failed; the event's reason says why.</summary>
    Failed = 4,

    /// <summary>Logged out (by command, by Telegram, or because the session was revoked).</summary>
    LoggedOut = 5,
}
