namespace TgFleet.Contracts.Messaging;

/// <summary>How a recipient is identified.</summary>
public enum RecipientKind
{
    /// <summary>A public username, with or without the leading <c>@</c>.</summary>
    Username = 1,

    /// <summary>A phone number in international format.</summary>
    Phone = 2,

    /// <summary>A Telegram user id.</summary>
    UserId = 3,

    /// <summary>A Telegram chat id.</summary>
    ChatId = 4,
}
