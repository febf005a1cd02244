using TgFleet.Contracts.Messaging;

namespace TgFleet.Contracts.Campaigns;

/// <summary>
/// A campaign's message: <paramref name="Text"/> with <c>{{name}}</c> placeholders filled from each
/// recipient's variables (a placeholder the recipient has no variable for becomes empty).
/// </summary>
/// <param name="Text">The template (1 to 4,096 UTF-16 code units; each filled text is checked as SendMessage's).</param>
public sealed record MessageTemplate(string Text)
{
    /// <summary>How the filled text is formatted, as in SendMessage (variables are inserted as they are; escape them for Markdown or Html).</summary>
    public TextFormat Format { get; init; }

    /// <summary>Send without a notification sound.</summary>
    public bool Silent { get; init; }
}
