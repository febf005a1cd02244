namespace TgFleet.Contracts.Campaigns;

/// <summary>
/// Adds up to 10,000 recipients to a started campaign; repeatable while it runs. Answered by
/// <see cref="CampaignRecipientsAdded"/> (accepted, duplicates dropped, rejected with reasons) or
/// <see cref="CampaignRejected"/>; a redelivery of the same <paramref name="BatchId"/> adds nothing
/// and answers the recorded counts again. A recipient already in the campaign is dropped as a duplicate.
/// </summary>
/// <param name="CommandId">The idempotency key of this command.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="BatchId">The batch's id, chosen by the upstream service (the batch's idempotency key).</param>
/// <param name="Recipients">1 to 10,000 recipients.</param>
public sealed record AddCampaignRecipients(Guid CommandId, Guid CampaignId, Guid BatchId, IReadOnlyList<CampaignRecipient> Recipients);
