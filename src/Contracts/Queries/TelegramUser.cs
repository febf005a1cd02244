namespace TgFleet.Contracts.Queries;

/// <summary>A Telegram user.</summary>
/// <param name="UserId">Telegram's user id.</param>
/// <param name="FirstName">First name.</param>
/// <param name="LastName">Last name (may be empty).</param>
public sealed record TelegramUser(long UserId, string FirstName, string LastName)
{
    /// <summary>The public username, without <c>@</c>, if any.</summary>
    public string? Username { get; init; }

    /// <summary>The phone, masked, when Telegram shows it.</summary>
    public string? PhoneMasked { get; init; }
}
