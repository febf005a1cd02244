namespace TgFleet.Contracts.Campaigns;

/// <summary>
/// Local hours in which a campaign sends nothing: from <paramref name="Start"/> (inclusive) to
/// <paramref name="End"/> (exclusive) in <paramref name="TimeZone"/>, wrapping midnight when
/// <paramref name="Start"/> is later than <paramref name="End"/> (22:00 to 08:00).
/// </summary>
/// <param name="Start">Local start, <c>HH:mm</c>.</param>
/// <param name="End">Local end, <c>HH:mm</c>.</param>
/// <param name="TimeZone">An IANA time zone, e.g. <c>Europe/Berlin</c>.</param>
public sealed record QuietHours(string Start, string End, string TimeZone);
