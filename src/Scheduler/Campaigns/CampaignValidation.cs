using System.Globalization;
using System.Text.RegularExpressions;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;

namespace TgFleet.Scheduler.Campaigns;

/// <summary>What is wrong with a command: the field and a machine-readable reason.</summary>
public sealed record Violation(string Field, string Reason, string Detail);

/// <summary>One recipient as stored: its kind and its normalised value (what makes it unique in a campaign).</summary>
public readonly record struct NormalizedRecipient(RecipientKind Kind, string Value);

/// <summary>Checks campaign commands before anything is stored (docs/campaigns.md lists the rules).</summary>
public static partial class CampaignValidation
{
    /// <summary>Recipients per batch at most.</summary>
    public const int MaxBatch = 10_000;

    /// <summary>The template's longest text, as SendMessage's.</summary>
    public const int MaxText = 4096;

    /// <summary>The first problem of <paramref name="command"/>, or null when it is valid.</summary>
    public static Violation? Check(StartCampaign command, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(time);
        if (command.CampaignId == Guid.Empty)
        {
            return new("CampaignId", "FIELD_REQUIRED", "A campaign id is required.");
        }

        if (string.IsNullOrWhiteSpace(command.Name) || command.Name.Length > 200)
        {
            return new("Name", "NAME_INVALID", "The name must have 1 to 200 characters.");
        }

        if (command.SenderAccountIds is not { Count: > 0 and <= 1000 } senders)
        {
            return new("SenderAccountIds", "SENDERS_INVALID", "A campaign needs 1 to 1,000 senders.");
        }

        if (senders.Any(string.IsNullOrWhiteSpace))
        {
            return new("SenderAccountIds", "SENDERS_INVALID", "A sender account id is empty.");
        }

        if (senders.Distinct(StringComparer.Ordinal).Count() != senders.Count)
        {
            return new("SenderAccountIds", "SENDERS_DUPLICATED", "A sender is named twice.");
        }

        if (command.Message is not { } message || string.IsNullOrWhiteSpace(message.Text))
        {
            return new("Message.Text", "TEXT_EMPTY", "The message template is empty.");
        }

        if (message.Text.Length > MaxText)
        {
            return new("Message.Text", "TEXT_TOO_LONG", $"The template has more than {MaxText} characters.");
        }

        if (!Enum.IsDefined(message.Format))
        {
            return new("Message.Format", "FORMAT_UNKNOWN", "Format must be Plain, Markdown or Html.");
        }

        if (command.Pacing is not { } pacing)
        {
            return new("Pacing", "FIELD_REQUIRED", "Pacing is required.");
        }

        return CheckPacing(pacing, time.GetUtcNow());
    }

    private static Violation? CheckPacing(CampaignPacing pacing, DateTimeOffset now)
    {
        if (pacing.MinimumIntervalMs is < 0 or > 86_400_000)
        {
            return new("Pacing.MinimumIntervalMs", "OUT_OF_RANGE", "The interval must be 0 to 86,400,000 ms.");
        }

        if (pacing.JitterMs < 0 || pacing.JitterMs > Math.Max(pacing.MinimumIntervalMs, 60_000))
        {
            return new("Pacing.JitterMs", "OUT_OF_RANGE", "The jitter must be 0 to the interval (or to 60,000 ms).");
        }

        if (pacing.DailyCapPerSender is < 1 or > 1_000_000)
        {
            return new("Pacing.DailyCapPerSender", "OUT_OF_RANGE", "The daily cap must be 1 to 1,000,000.");
        }

        if (pacing.MaxAttempts is < 1 or > 10)
        {
            return new("Pacing.MaxAttempts", "OUT_OF_RANGE", "Attempts must be 1 to 10.");
        }

        if (pacing.QuietHours is { } quiet)
        {
            if (ParseTime(quiet.Start) is null)
            {
                return new("Pacing.QuietHours.Start", "TIME_MALFORMED", "Quiet hours start as HH:mm.");
            }

            if (ParseTime(quiet.End) is null)
            {
                return new("Pacing.QuietHours.End", "TIME_MALFORMED", "Quiet hours end as HH:mm.");
            }

            if (ParseTime(quiet.Start) == ParseTime(quiet.End))
            {
                return new("Pacing.QuietHours.End", "QUIET_HOURS_EMPTY", "Quiet hours must not start and end at the same time.");
            }

            if (FindZone(quiet.TimeZone) is null)
            {
                return new("Pacing.QuietHours.TimeZone", "TIME_ZONE_UNKNOWN", "Not an IANA time zone.");
            }
        }

        if (pacing.Deadline is { } deadline && (deadline <= (pacing.StartAt ?? now) || deadline <= now))
        {
            return new("Pacing.Deadline", "DEADLINE_PASSED", "The deadline must be later than now and than the start time.");
        }

        return null;
    }

    /// <summary><c>HH:mm</c> as a time of day, or null.</summary>
    public static TimeOnly? ParseTime(string? text) =>
        TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time : null;

    /// <summary>The IANA zone <paramref name="id"/>, or null when there is none.</summary>
    public static TimeZoneInfo? FindZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return null;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }

    /// <summary>
    /// The normalised recipient (usernames without <c>@</c> and in lower case, phones as <c>+digits</c>),
    /// or the problem with it.
    /// </summary>
    public static (NormalizedRecipient Recipient, Violation? Problem) Normalize(CampaignRecipient? recipient)
    {
        if (recipient?.To is not { } to || to.Value is null)
        {
            return (default, new("To", "FIELD_REQUIRED", "A recipient is required."));
        }

        var value = to.Value.Trim();
        NormalizedRecipient? normalized = to.Kind switch
        {
            RecipientKind.Username when UsernamePattern().IsMatch(value) => new(RecipientKind.Username, value.TrimStart('@').ToLowerInvariant()),
            RecipientKind.Phone when PhonePattern().IsMatch(value) => new(RecipientKind.Phone, "+" + new string(value.Where(char.IsAsciiDigit).ToArray())),
            RecipientKind.UserId when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var user) && user > 0 =>
                new(RecipientKind.UserId, user.ToString(CultureInfo.InvariantCulture)),
            RecipientKind.ChatId when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var chat) && chat != 0 =>
                new(RecipientKind.ChatId, chat.ToString(CultureInfo.InvariantCulture)),
            _ => null,
        };
        if (normalized is null)
        {
            return (default, Enum.IsDefined(to.Kind)
                ? new("To.Value", "RECIPIENT_MALFORMED", $"Not a valid {to.Kind}.")
                : new("To.Kind", "RECIPIENT_KIND_UNKNOWN", "Kind must be Username, Phone, UserId or ChatId."));
        }

        if (recipient.Variables is { } variables)
        {
            foreach (var (name, text) in variables)
            {
                if (!VariablePattern().IsMatch(name))
                {
                    return (default, new("Variables", "VARIABLE_NAME_INVALID", "Variable names are 1 to 64 letters, digits or _."));
                }

                if (text is null || text.Length > 1024)
                {
                    return (default, new("Variables", "VARIABLE_TOO_LONG", "A variable's value is 0 to 1,024 characters."));
                }
            }
        }

        return (normalized.Value, null);
    }

    [GeneratedRegex("^@?[A-Za-z][A-Za-z0-9_]{3,31}$")]
    private static partial Regex UsernamePattern();

    [GeneratedRegex(@"^\+?[0-9][0-9 ]{6,20}$")]
    private static partial Regex PhonePattern();

    [GeneratedRegex("^[A-Za-z0-9_]{1,64}$")]
    private static partial Regex VariablePattern();
}
