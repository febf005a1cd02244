namespace TgFleet.Contracts.Campaigns;

/// <summary>A campaign was accepted; recipients may be added now.</summary>
/// <param name="CommandId">The StartCampaign command.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Name">Its name.</param>
/// <param name="Senders">How many senders it has.</param>
/// <param name="Timestamp">When it was accepted.</param>
public sealed record CampaignStarted(Guid CommandId, Guid CampaignId, string Name, int Senders, DateTimeOffset Timestamp);
