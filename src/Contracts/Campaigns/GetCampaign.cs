namespace TgFleet.Contracts.Campaigns;

/// <summary>Asks how a campaign stands; answered by <see cref="CampaignStatus"/> (or <see cref="CampaignRejected"/> for an unknown campaign).</summary>
/// <param name="CommandId">The request's id.</param>
/// <param name="CampaignId">The campaign.</param>
public sealed record GetCampaign(Guid CommandId, Guid CampaignId);
