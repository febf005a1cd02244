using TgFleet.Contracts.Messaging;

namespace TgFleet.Contracts.Campaigns;

/// <summary>One recipient of a campaign and the variables its message is filled with.</summary>
/// <param name="To">The recipient, as in SendMessage.</param>
public sealed record CampaignRecipient(Recipient To)
{
    /// <summary>Values for the template's <c>{{name}}</c> placeholders (names of letters, digits and <c>_</c>).</summary>
    public IReadOnlyDictionary<string, string>? Variables { get; init; }
}
