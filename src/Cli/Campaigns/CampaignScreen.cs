using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;
using TgFleet.Contracts.Campaigns;

namespace TgFleet.Cli.Campaigns;

/// <summary>
/// What a running campaign looks like: progress, rate, ETA, failures by reason, senders by state,
/// skipped opt-outs. One renderable for a live terminal screen (<c>campaign watch</c> and the
/// demo, which adds its fleet panel below), one line for plain output (logs, pipes).
/// </summary>
public static class CampaignScreen
{
    /// <summary>The live screen's content for <paramref name="status"/>, with <paramref name="extra"/> (e.g. the fleet) below.</summary>
    public static IRenderable Render(CampaignStatus status, params IRenderable[] extra)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(extra);
        var d = status.Deliveries;
        var ended = d.Sent + d.Failed + d.Skipped + d.Unknown + d.Unsent;
        var rows = new List<IRenderable>
        {
            new Markup($"[bold]{Markup.Escape(status.Name)}[/] [grey]{status.CampaignId}[/]  {StateMarkup(status)}"),
            Bar(ended, d.Total),
            new Markup($"sent [green]{d.Sent:N0}[/]  failed [red]{d.Failed:N0}[/]  skipped (opted out) [yellow]{d.Skipped:N0}[/]  unknown {d.Unknown:N0}"
                + $"  pending {d.Pending:N0}  in flight {d.Dispatched:N0}" + (d.Unsent > 0 ? $"  unsent {d.Unsent:N0}" : string.Empty)),
            new Markup($"rate [bold]{status.Rate:0.0}[/] msg/s   ETA {Eta(status)}"),
        };

        var columns = new List<IRenderable>();
        if (status.Failures.Count > 0)
        {
            var failures = new Table().Border(TableBorder.Rounded).Title("failures and skips by reason").AddColumn("reason").AddColumn(new TableColumn("count").RightAligned());
            foreach (var (reason, count) in status.Failures.OrderByDescending(f => f.Value))
            {
                failures.AddRow(Markup.Escape(reason), count.ToString("N0", CultureInfo.InvariantCulture));
            }

            columns.Add(failures);
        }

        if (status.Senders.Count > 0)
        {
            var senders = new Table().Border(TableBorder.Rounded).Title("senders by state").AddColumn("state").AddColumn(new TableColumn("senders").RightAligned())
                .AddColumn("accounts");
            foreach (var group in status.Senders.GroupBy(s => s.State).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                senders.AddRow(Markup.Escape(group.Key), group.Count().ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(Abbreviate(group.Select(s => s.AccountId))));
            }

            columns.Add(senders);
        }

        if (columns.Count > 0)
        {
            rows.Add(new Columns(columns) { Expand = false });
        }

        rows.AddRange(extra);
        return new Panel(new Rows(rows)).Header("tgfleet campaign").Border(BoxBorder.Rounded).Expand();
    }

    /// <summary>One plain line for <paramref name="status"/> (no colour, no redrawing).</summary>
    public static string Line(CampaignStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var d = status.Deliveries;
        var ended = d.Sent + d.Failed + d.Skipped + d.Unknown + d.Unsent;
        var senders = string.Join(' ', status.Senders.GroupBy(s => s.State).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}={g.Count()}"));
        var failures = string.Join(' ', status.Failures.OrderByDescending(f => f.Value).Select(f => $"{f.Key}={f.Value}"));
        var counts = FormattableString.Invariant(
            $"sent={d.Sent} failed={d.Failed} skipped={d.Skipped} unknown={d.Unknown} pending={d.Pending} in_flight={d.Dispatched} rate={status.Rate:0.0}/s");
        return $"campaign {status.Name}: {State(status)} {ended}/{d.Total} ({Percent(ended, d.Total)}) {counts} eta={Eta(status)}"
            + (senders.Length > 0 ? $" senders: {senders}" : string.Empty) + (failures.Length > 0 ? $" reasons: {failures}" : string.Empty);
    }

    /// <summary>Whether the campaign has ended.</summary>
    public static bool HasEnded(CampaignStatus status) => status?.State is CampaignState.Completed or CampaignState.Cancelled;

    private static string State(CampaignStatus status) =>
        status.State.ToString().ToLowerInvariant() + (status.PausedReason is { } reason ? $" ({reason})" : string.Empty);

    private static string StateMarkup(CampaignStatus status) => status.State switch
    {
        CampaignState.Running => "[green]running[/]",
        CampaignState.Paused => $"[yellow]{Markup.Escape(State(status))}[/]",
        CampaignState.Completed => "[bold green]completed[/]",
        CampaignState.Cancelled => "[red]cancelled[/]",
        _ => Markup.Escape(State(status)),
    };

    private static Markup Bar(long done, long total)
    {
        const int width = 50;
        var filled = total == 0 ? 0 : (int)Math.Round(width * (double)done / total);
        return new Markup($"[green]{new string('━', filled)}[/][grey]{new string('━', width - filled)}[/] {done:N0} / {total:N0} ({Percent(done, total)})");
    }

    private static string Percent(long done, long total) =>
        total == 0 ? "0%" : ((double)done / total).ToString("P0", CultureInfo.InvariantCulture).Replace(" ", string.Empty, StringComparison.Ordinal);

    private static string Eta(CampaignStatus status)
    {
        if (HasEnded(status))
        {
            return "done";
        }

        if (status.EstimatedCompletion is not { } eta)
        {
            return "-";
        }

        var left = eta - status.Timestamp;
        return left <= TimeSpan.Zero ? "now" : left.ToString(left.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);
    }

    private static string Abbreviate(IEnumerable<string> ids)
    {
        var list = ids.Order(StringComparer.Ordinal).ToList();
        return list.Count <= 4 ? string.Join(", ", list) : string.Join(", ", list.Take(3)) + $", … (+{list.Count - 3})";
    }
}
