using System.Text.RegularExpressions;

namespace TgFleet.Scheduler.Campaigns;

/// <summary>Fills a campaign's template with one recipient's variables.</summary>
public static partial class MessageTemplates
{
    /// <summary><paramref name="template"/> with each <c>{{name}}</c> replaced by its variable (empty when there is none).</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string>? variables)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (!template.Contains("{{", StringComparison.Ordinal))
        {
            return template;
        }

        return Placeholder().Replace(template, m => variables is not null && variables.TryGetValue(m.Groups[1].Value, out var value) ? value : string.Empty);
    }

    [GeneratedRegex(@"\{\{\s*([A-Za-z0-9_]{1,64})\s*\}\}")]
    private static partial Regex Placeholder();
}
