namespace TgFleet.Contracts.Messaging;

/// <summary>How a message's text is to be read.</summary>
public enum TextFormat
{
    /// <summary>Plain text (with optional explicit <see cref="TextEntity"/>s).</summary>
    Plain = 0,

    /// <summary>Telegram's MarkdownV2.</summary>
    Markdown = 1,

    /// <summary>Telegram's HTML subset.</summary>
    Html = 2,
}
