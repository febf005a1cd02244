namespace TgFleet.Contracts.Campaigns;

/// <summary>One recipient of a batch that was refused.</summary>
/// <param name="Index">Its position in the batch (from 0).</param>
/// <param name="Field">The offending field, e.g. <c>To.Value</c>.</param>
/// <param name="Reason">Machine-readable, e.g. <c>RECIPIENT_MALFORMED</c>, <c>VARIABLE_NAME_INVALID</c>.</param>
public sealed record RecipientRejection(int Index, string Field, string Reason);
