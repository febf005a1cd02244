namespace TgFleet.Contracts.Campaigns;

/// <summary>A recipient batch was imported.</summary>
/// <param name="CommandId">The AddCampaignRecipients command.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="BatchId">The batch.</param>
/// <param name="Accepted">Recipients added to the campaign.</param>
/// <param name="Duplicates">Recipients dropped because the campaign already had them (in this batch or an earlier one).</param>
/// <param name="Rejected">Recipients refused, with the reason (at most the first 100; <paramref name="RejectedCount"/> counts all).</param>
/// <param name="RejectedCount">How many recipients were refused.</param>
/// <param name="Timestamp">When the batch was imported.</param>
public sealed record CampaignRecipientsAdded(Guid CommandId, Guid CampaignId, Guid BatchId, int Accepted, int Duplicates,
    IReadOnlyList<RecipientRejection> Rejected, int RejectedCount, DateTimeOffset Timestamp);
