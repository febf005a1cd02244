namespace TgFleet.Contracts.Campaigns;

/// <summary>A campaign command was not executed because it is invalid or does not fit the campaign's state.</summary>
/// <param name="CommandId">The rejected command's id.</param>
/// <param name="CampaignId">Its campaign (as given).</param>
/// <param name="Command">Its message type name, e.g. <c>StartCampaign</c>.</param>
/// <param name="Field">The offending field, e.g. <c>Pacing.QuietHours.TimeZone</c>.</param>
/// <param name="Reason">Machine-readable, e.g. <c>TIME_ZONE_UNKNOWN</c>, <c>CAMPAIGN_UNKNOWN</c>, <c>CAMPAIGN_ENDED</c>, <c>TOO_MANY_RECIPIENTS</c>.</param>
/// <param name="Timestamp">When it was rejected.</param>
public sealed record CampaignRejected(Guid CommandId, Guid CampaignId, string Command, string Field, string Reason, DateTimeOffset Timestamp)
{
    /// <summary>A human-readable explanation.</summary>
    public string? Detail { get; init; }
}
