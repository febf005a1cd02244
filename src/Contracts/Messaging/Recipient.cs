namespace TgFleet.Contracts.Messaging;

/// <summary>Who a message goes to.</summary>
/// <param name="Kind">How <paramref name="Value"/> identifies the recipient.</param>
/// <param name="Value">The username, phone, user id or chat id (ids as decimal text).</param>
public sealed record Recipient(RecipientKind Kind, string Value)
{
    /// <summary>A recipient by public username.</summary>
    public static Recipient Username(string username) => new(RecipientKind.Username, username);

    /// <summary>A recipient by phone number.</summary>
    public static Recipient Phone(string phone) => new(RecipientKind.Phone, phone);

    /// <summary>A recipient by Telegram user id.</summary>
    public static Recipient User(long userId) => new(RecipientKind.UserId, userId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A recipient by Telegram chat id.</summary>
    public static Recipient Chat(long chatId) => new(RecipientKind.ChatId, chatId.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
