namespace TgFleet.Contracts.Queries;

/// <summary>A chat of an account.</summary>
/// <param name="ChatId">Telegram's chat id.</param>
/// <param name="Title">Its title.</param>
/// <param name="Kind">private, basicGroup, supergroup, channel or secret.</param>
public sealed record ChatSummary(long ChatId, string Title, string Kind)
{
    /// <summary>Unread messages.</summary>
    public int UnreadCount { get; init; }
}
