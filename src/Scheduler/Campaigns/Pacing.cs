namespace TgFleet.Scheduler.Campaigns;

/// <summary>
/// A campaign's pacing rules and the time arithmetic on them: quiet hours in an IANA zone, the
/// daily cap's day, the next allowed send. Pure: every instant comes from the caller's TimeProvider.
/// </summary>
public sealed record Pacing(int MinIntervalMs, int JitterMs, int DailyCap, (TimeOnly Start, TimeOnly End)? QuietHours, TimeZoneInfo Zone,
    DateTimeOffset StartAt, DateTimeOffset? Deadline)
{
    /// <summary>Whether <paramref name="now"/> falls in the quiet hours.</summary>
    public bool IsQuiet(DateTimeOffset now)
    {
        if (QuietHours is not { } quiet)
        {
            return false;
        }

        var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, Zone).DateTime);
        return quiet.Start < quiet.End ? local >= quiet.Start && local < quiet.End : local >= quiet.Start || local < quiet.End;
    }

    /// <summary>When the quiet hours around <paramref name="now"/> end (the first minute at or after now that is not quiet).</summary>
    public DateTimeOffset QuietEnds(DateTimeOffset now)
    {
        if (QuietHours is not { } quiet || !IsQuiet(now))
        {
            return now;
        }

        var local = TimeZoneInfo.ConvertTime(now, Zone);
        var endToday = local.Date + quiet.End.ToTimeSpan();
        var end = endToday > local.DateTime ? endToday : endToday.AddDays(1);
        var utc = TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(end, DateTimeKind.Unspecified), Zone);
        return new DateTimeOffset(utc, TimeSpan.Zero);
    }

    /// <summary>The day the daily cap counts in at <paramref name="now"/> (in the quiet hours' zone, else UTC).</summary>
    public DateOnly CapDay(DateTimeOffset now) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, Zone).DateTime);

    /// <summary>The start of the cap's next day after <paramref name="now"/>, as an instant.</summary>
    public DateTimeOffset NextCapDay(DateTimeOffset now)
    {
        var next = CapDay(now).AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(next, Zone), TimeSpan.Zero);
    }

    /// <summary>Whether the campaign may send at <paramref name="now"/>: started, before its deadline, outside quiet hours.</summary>
    public bool IsOpen(DateTimeOffset now) => now >= StartAt && (Deadline is not { } d || now < d) && !IsQuiet(now);

    /// <summary>When a sender that sends at <paramref name="now"/> may send again: the interval plus a random jitter.</summary>
    public DateTimeOffset NextSend(DateTimeOffset now) =>
        now.AddMilliseconds(MinIntervalMs + (JitterMs > 0 ? Random.Shared.Next(JitterMs + 1) : 0));
}
