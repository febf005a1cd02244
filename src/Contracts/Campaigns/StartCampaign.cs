namespace TgFleet.Contracts.Campaigns;

/// <summary>
/// Starts a campaign: <paramref name="Message"/> from <paramref name="SenderAccountIds"/> to the
/// recipients later added with <see cref="AddCampaignRecipients"/>, paced by <paramref name="Pacing"/>.
/// Answered by <see cref="CampaignStarted"/> or <see cref="CampaignRejected"/>; a redelivery (same
/// <paramref name="CampaignId"/>) answers <see cref="CampaignStarted"/> again and changes nothing.
/// Send it to <c>exchange:tgfleet.campaigns</c> (<c>CampaignAddressing.Address</c>).
/// </summary>
/// <param name="CommandId">The idempotency key of this command.</param>
/// <param name="CampaignId">The campaign's id, chosen by the upstream service.</param>
/// <param name="Name">A name for people (1 to 200 characters).</param>
/// <param name="SenderAccountIds">The accounts that send (1 to 1,000, distinct); each recipient gets the message from one of them.</param>
/// <param name="Message">The message template.</param>
/// <param name="Pacing">How fast and when the senders may send.</param>
public sealed record StartCampaign(Guid CommandId, Guid CampaignId, string Name, IReadOnlyList<string> SenderAccountIds, MessageTemplate Message, CampaignPacing Pacing);
