using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;

namespace TgFleet.Cli.Campaigns;

/// <summary><c>tgfleet campaign start|status|watch|pause|resume|cancel</c>, spoken to the scheduler on <c>tgfleet.campaigns</c>.</summary>
public static class CampaignCommands
{
    public static Command Create(GlobalOptions global)
    {
        ArgumentNullException.ThrowIfNull(global);
        var campaign = new Command("campaign", "Campaigns: start one from a CSV, follow it, pause, resume or cancel it");
        campaign.Subcommands.Add(Start(global));
        campaign.Subcommands.Add(Status(global));
        campaign.Subcommands.Add(Watch(global));
        campaign.Subcommands.Add(Control<PauseCampaign>(global, "pause", "Pause a campaign until 'resume' (what is in flight completes)", (c, id) => new PauseCampaign(c, id)));
        campaign.Subcommands.Add(Control<ResumeCampaign>(global, "resume", "Resume a paused campaign", (c, id) => new ResumeCampaign(c, id)));
        campaign.Subcommands.Add(Control<CancelCampaign>(global, "cancel", "Cancel a campaign for good (unsent deliveries end as unsent)", (c, id) => new CancelCampaign(c, id)));
        return campaign;
    }

    private static Command Start(GlobalOptions global)
    {
        var name = new Option<string>("--name") { Description = "A name for people", Required = true };
        var senders = new Option<string[]>("--senders") { Description = "Sender account ids (comma-separated or repeated)", Required = true, AllowMultipleArgumentsPerToken = true };
        var recipients = new Option<FileInfo>("--recipients") { Description = "CSV: a 'recipient' column (@username, +phone, user id, chat:ID) and one column per template variable", Required = true };
        var template = new Option<string>("--template") { Description = "The message, with {{column}} placeholders", Required = true };
        var format = new Option<TextFormat>("--format") { Description = "Plain, Markdown or Html" };
        var interval = new Option<int>("--interval-ms") { Description = "Milliseconds at least between two sends of one sender", DefaultValueFactory = _ => 30_000 };
        var jitter = new Option<int>("--jitter-ms") { Description = "Random milliseconds added to each interval", DefaultValueFactory = _ => 5_000 };
        var cap = new Option<int>("--daily-cap") { Description = "Sends per sender per day at most", DefaultValueFactory = _ => 200 };
        var quiet = new Option<string?>("--quiet-hours") { Description = "No sending between these local hours: 22:00-08:00@Europe/Berlin" };
        var startAt = new Option<DateTimeOffset?>("--start-at") { Description = "Send nothing before this instant (ISO 8601)" };
        var deadline = new Option<DateTimeOffset?>("--deadline") { Description = "Send nothing after this instant (ISO 8601)" };
        var attempts = new Option<int>("--attempts") { Description = "Attempts per recipient for retryable failures", DefaultValueFactory = _ => 3 };
        var id = new Option<Guid?>("--id") { Description = "The campaign id (default: a new one; the same id and file again adds nothing twice)" };
        var watch = new Option<bool>("--watch") { Description = "Then follow it live, as 'campaign watch'" };
        var command = new Command("start", "Start a campaign and add its recipients from a CSV, streamed in batches of 10,000")
        {
            name, senders, recipients, template, format, interval, jitter, cap, quiet, startAt, deadline, attempts, id, watch,
        };
        command.SetAction(global.Run(async (context, cancellationToken) =>
        {
            var file = context.Get(recipients)!;
            if (!file.Exists)
            {
                throw new CliException(ExitCodes.Usage, $"--recipients: no file {file.FullName}");
            }

            var start = new StartCampaign(CliContext.NewCommandId(), context.Get(id) ?? Guid.NewGuid(), context.Get(name)!,
                context.Get(senders)!.SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
                new MessageTemplate(context.Get(template)!) { Format = context.Get(format) },
                new CampaignPacing(context.Get(interval), context.Get(cap))
                {
                    JitterMs = context.Get(jitter),
                    QuietHours = context.Get(quiet) is { } q ? ParseQuietHours(q) : null,
                    StartAt = context.Get(startAt),
                    Deadline = context.Get(deadline),
                    MaxAttempts = context.Get(attempts),
                });
            await using var bus = await context.ConnectBusAsync(cancellationToken, [EventSubscription.Of<CampaignStarted>(), .. RecipientImport.Events]);
            var output = context.Output;
            var totals = await StartAsync(bus, output, start, file, cancellationToken);
            if (output.Json)
            {
                output.WriteJson(new
                {
                    start.CampaignId, totals.Read, totals.Batches, totals.Accepted, totals.Duplicates, totals.Rejected,
                    RejectedReasons = totals.Reasons, totals.InvalidCount, InvalidRows = totals.Invalid,
                });
            }

            if (context.Get(watch))
            {
                var last = await new CampaignWatch(bus, output).RunAsync(start.CampaignId, cancellationToken);
                return last.State == CampaignState.Completed ? ExitCodes.Ok : ExitCodes.Failed;
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Sends <paramref name="start"/>, waits for <see cref="CampaignStarted"/>, then imports <paramref name="file"/> with a progress bar (plain lines when plain).</summary>
    public static async Task<ImportTotals> StartAsync(FleetBus bus, CliOutput output, StartCampaign start, FileInfo file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(file);
        var endpoint = await bus.Bus.GetSendEndpoint(CampaignAddressing.Address);
        await endpoint.Send(start, cancellationToken);
        var answer = await bus.NextEventAsync(e => e switch
        {
            CampaignStarted s => s.CommandId == start.CommandId || s.CampaignId == start.CampaignId,
            CampaignRejected r => r.CommandId == start.CommandId,
            _ => false,
        }, nameof(StartCampaign), cancellationToken);
        if (answer is CampaignRejected rejected)
        {
            throw CampaignRequests.Rejected(rejected);
        }

        Say(output, $"campaign {start.CampaignId} started ({start.SenderAccountIds.Count} senders); adding recipients from {file.Name}");
        using var csv = file.OpenText();
        var import = new RecipientImport(bus);
        ImportTotals totals;
        if (output.Plain || output.Json)
        {
            totals = await import.RunAsync(start.CampaignId, csv, t => Say(output,
                $"recipients: {t.Batches} batch(es), {t.Accepted} accepted, {t.Duplicates} duplicates, {t.Rejected} rejected"), cancellationToken);
        }
        else
        {
            // The file's size is the honest total before it is read: the bar follows the bytes consumed.
            var size = Math.Max(1, file.Length);
            totals = await output.Console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("adding recipients", maxValue: size);
                    var result = await import.RunAsync(start.CampaignId, csv, t =>
                    {
                        // The file is closed once its last row is read; the last batches are answered after that.
                        task.Value = csv.BaseStream() is { CanSeek: true } read ? Math.Min(size, read.Position) : size;
                        task.Description = $"{t.Accepted:N0} accepted, {t.Duplicates:N0} duplicates, {t.Rejected:N0} rejected";
                    }, cancellationToken);
                    task.Value = size;
                    return result;
                });
        }

        Say(output, $"recipients: {totals.Accepted} accepted, {totals.Duplicates} duplicates dropped, {totals.Rejected} rejected by the scheduler"
            + (totals.InvalidCount > 0 ? $", {totals.InvalidCount} unreadable rows not sent" : string.Empty));
        foreach (var problem in totals.Reasons.Concat(totals.Invalid))
        {
            Say(output, "  " + problem);
        }

        return totals;
    }

    private static Command Status(GlobalOptions global)
    {
        var id = new Argument<Guid>("campaign") { Description = "The campaign id" };
        var command = new Command("status", "How a campaign stands: counts, failures by reason, senders, rate, ETA") { id };
        command.SetAction(global.Run(async (context, cancellationToken) =>
        {
            await using var bus = await context.ConnectBusAsync(cancellationToken);
            var status = await new CampaignWatch(bus, context.Output).StatusAsync(context.Get(id), cancellationToken);
            var output = context.Output;
            if (output.Json)
            {
                output.WriteJson(status);
            }
            else if (output.Plain)
            {
                output.Line(CampaignScreen.Line(status));
            }
            else
            {
                output.Write(CampaignScreen.Render(status));
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Watch(GlobalOptions global)
    {
        var id = new Argument<Guid>("campaign") { Description = "The campaign id" };
        var command = new Command("watch", "Follow a campaign live until it ends (plain progress lines when stdout is not a terminal)") { id };
        command.SetAction(global.Run(async (context, cancellationToken) =>
        {
            await using var bus = await context.ConnectBusAsync(cancellationToken);
            var last = await new CampaignWatch(bus, context.Output).RunAsync(context.Get(id), cancellationToken);
            if (context.Output.Json)
            {
                context.Output.WriteJson(last);
            }

            return last.State == CampaignState.Completed ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return command;
    }

    private static Command Control<T>(GlobalOptions global, string name, string description, Func<Guid, Guid, T> create)
        where T : class
    {
        var id = new Argument<Guid>("campaign") { Description = "The campaign id" };
        var command = new Command(name, description) { id };
        command.SetAction(global.Run(async (context, cancellationToken) =>
        {
            await using var bus = await context.ConnectBusAsync(cancellationToken, EventSubscription.Of<CampaignPaused>(), EventSubscription.Of<CampaignResumed>(),
                EventSubscription.Of<CampaignCompleted>(), EventSubscription.Of<CampaignRejected>());
            var commandId = CliContext.NewCommandId();
            var endpoint = await bus.Bus.GetSendEndpoint(CampaignAddressing.Address);
            await endpoint.Send(create(commandId, context.Get(id)), cancellationToken);
            var answer = await bus.NextEventAsync(e => e switch
            {
                CampaignPaused p => p.CommandId == commandId,
                CampaignResumed r => r.CommandId == commandId,
                CampaignCompleted c => c.CommandId == commandId,
                CampaignRejected r => r.CommandId == commandId,
                _ => false,
            }, typeof(T).Name, cancellationToken);
            var (state, reason) = answer switch
            {
                CampaignRejected r => throw CampaignRequests.Rejected(r),
                CampaignPaused p => ("paused", p.Reason),
                CampaignResumed r => ("resumed", r.Reason),
                CampaignCompleted c => (c.State.ToString().ToLowerInvariant(), c.Reason),
                _ => ("?", string.Empty),
            };
            if (context.Output.Json)
            {
                context.Output.WriteJson(new { campaignId = context.Get(id), state, reason, commandId });
            }
            else
            {
                context.Output.Line($"campaign {context.Get(id)}: {state} ({reason})");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static QuietHours ParseQuietHours(string text)
    {
        // 22:00-08:00@Europe/Berlin
        var at = text.Split('@', 2);
        var hours = at[0].Split('-', 2);
        return at.Length == 2 && hours.Length == 2
            ? new QuietHours(hours[0].Trim(), hours[1].Trim(), at[1].Trim())
            : throw new CliException(ExitCodes.Usage, $"--quiet-hours '{text}' is not START-END@TIME_ZONE, e.g. 22:00-08:00@Europe/Berlin");
    }

    private static void Say(CliOutput output, string text)
    {
        if (!output.Json)
        {
            output.Line(text);
        }
    }

    private static Stream BaseStream(this StreamReader reader) => reader.BaseStream;

    internal static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
