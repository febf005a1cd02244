namespace TgFleet.Contracts.Campaigns;

/// <summary>A campaign's deliveries (one per recipient) by state.</summary>
/// <param name="Total">All recipients accepted.</param>
/// <param name="Pending">Waiting to be sent (including retries and those waiting for a sender).</param>
/// <param name="Dispatched">Handed to a worker, outcome not known yet.</param>
/// <param name="Sent">Sent (Telegram confirmed).</param>
/// <param name="Failed">Failed for good, with a reason.</param>
/// <param name="Skipped">Not sent on purpose (the recipient opted out).</param>
/// <param name="Unknown">A crash left it unknown whether it was sent (<c>OUTCOME_UNKNOWN</c>); never resent.</param>
/// <param name="Unsent">Never sent because the campaign was cancelled or its deadline passed.</param>
public sealed record DeliveryCounts(long Total, long Pending, long Dispatched, long Sent, long Failed, long Skipped, long Unknown, long Unsent);
