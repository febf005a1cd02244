namespace TgFleet.Contracts.Messaging;

/// <summary>A formatting span of a plain text, in UTF-16 code units as Telegram counts them.</summary>
/// <param name="Offset">Start of the span.</param>
/// <param name="Length">Length of the span.</param>
/// <param name="Type">TDLib's entity type without its prefix, e.g. <c>bold</c>, <c>italic</c>, <c>code</c>, <c>textUrl</c>.</param>
public sealed record TextEntity(int Offset, int Length, string Type)
{
    /// <summary>The URL of a <c>textUrl</c> entity.</summary>
    public string? Url { get; init; }
}
