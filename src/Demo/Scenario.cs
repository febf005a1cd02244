using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Npgsql;
using Spectre.Console;
using TgFleet.Cli;
using TgFleet.Cli.Accounts;
using TgFleet.Cli.Campaigns;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Campaigns;

namespace TgFleet.Demo;

/// <summary>
/// What the demo shows once the fleet runs: senders logged in through the real commands (the
/// code read from the simulator, as a person would read their phone), a campaign started from a
/// CSV and followed on ONE live screen (tgfleet's <see cref="CampaignWatch"/>), one worker killed
/// with SIGKILL halfway, and a summary checked against the simulator's witness.
/// </summary>
internal sealed partial class Scenario(DemoOptions options, IReadOnlyList<ChildProcess> children, Uri amqp, Uri simulator, string connectionString, CliOutput output, DemoLog log)
{
    private static readonly TimeSpan StepDeadline = TimeSpan.FromSeconds(90);

    /// <summary>
    /// For the fleet's start: four .NET processes (and each worker's gate) starting at once take
    /// well over a minute on the shared 2-core machine when others build beside them.
    /// </summary>
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(240);

    /// <summary>Runs it; true when the summary matches the witness.</summary>
    public async Task<bool> RunAsync(CancellationToken stop)
    {
        var workers = children.Where(c => c.Name.StartsWith("worker-", StringComparison.Ordinal)).ToList();
        using var http = new HttpClient { BaseAddress = simulator, Timeout = TimeSpan.FromSeconds(30) };
        await using var db = NpgsqlDataSource.Create(connectionString);
        var seeding = new Seeding(options.Senders, options.Recipients, options.FloodWaitSeconds);

        Say($"waiting for {string.Join(", ", children.Select(c => c.Name))} to be ready …");
        using (var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) })
        {
            // Each process's first ready answer goes to the log, so that a slow start can be told apart.
            var ready = new HashSet<string>();
            await UntilAsync(async () =>
            {
                foreach (var child in children.Where(c => !ready.Contains(c.Name)))
                {
                    if (await child.IsReadyAsync(probe, stop))
                    {
                        ready.Add(child.Name);
                        log.Write("demo", $"{child.Name} answers ready on /{child.ReadyPath}");
                    }
                }

                return ready.Count == children.Count && await FairShareAsync(db, workers, stop);
            }, "the fleet to be ready with every shard owned", stop, StartDeadline);
        }

        Say("ready: every shard has an owner (" + string.Join(", ", workers.Select(w => w.Name)) + ")");

        await seeding.SeedAsync(http, stop);
        Say("seeded in the simulator: " + seeding);

        var clock = Stopwatch.StartNew();
        await LogInAsync(seeding.Senders, http, stop);
        Say($"{seeding.Senders.Count} senders logged in through Authenticate → SubmitAuthenticationCode in {clock.Elapsed.TotalSeconds:0.0} s (codes read from the simulator, never shown)");

        var optedOut = await seeding.OptOutAsync(http, stop);
        await UntilAsync(async () => await CountAsync(db, "SELECT count(*) FROM opt_outs", stop) >= optedOut, "the opt-outs to reach the fleet's list", stop);
        Say($"{optedOut} recipients replied STOP before the campaign: they are on the fleet's opt-out list");

        await using var bus = await FleetBus.ConnectAsync(amqp, ShardAddressing.DefaultShardCount, TimeSpan.FromSeconds(30),
            [EventSubscription.Of<CampaignStarted>(), .. RecipientImport.Events], stop);
        var csv = new FileInfo(Path.Combine(Path.GetDirectoryName(log.Path)!, "demo-recipients.csv"));
        await File.WriteAllTextAsync(csv.FullName, seeding.Csv(), stop);
        // Paced so that the campaign takes about --campaign-seconds (DemoOptions.Pacing).
        var pacing = options.Pacing;
        var start = new StartCampaign(CliContext.NewCommandId(), Guid.NewGuid(), "demo campaign", seeding.Senders.Select(s => s.Id).ToList(),
            new MessageTemplate("Hello {{name}}, this is TgFleet's demo campaign. Reply STOP to opt out."),
            new CampaignPacing(pacing.IntervalMs, options.Recipients) { JitterMs = pacing.JitterMs, MaxAttempts = 3 });
        Say($"tgfleet campaign start --senders … --recipients {csv.Name} (a sender waits {pacing.IntervalMs} ms + up to {pacing.JitterMs} ms between sends: "
            + $"about {options.SteadySenders * 1000.0 / pacing.MeanPeriodMs:0} msg/s from {options.SteadySenders} steady senders, "
            + $"{options.Recipients * pacing.MeanPeriodMs / 1000.0 / options.SteadySenders:0} s)");
        var before = (await http.GetFromJsonAsync<Witness>("witness/summary", stop))!.Delivered;
        await CampaignCommands.StartAsync(bus, output, start, csv, stop);
        clock.Restart();
        var flooding = FloodOnceSendingAsync(http, seeding, before, stop);

        var panel = new FleetPanel(db, workers, seeding.Senders);
        // After the campaign, the screen stays until the killed worker's shards have moved (its
        // leases expire within Shards__LeaseTtl), or the step's deadline says they did not.
        Stopwatch? settling = null;
        var settled = false;
        async Task<bool> SettledAsync(CancellationToken cancellationToken)
        {
            settling ??= Stopwatch.StartNew();
            settled = await panel.SettledAsync(cancellationToken);
            return settled || settling.Elapsed > StepDeadline;
        }

        var watch = new CampaignWatch(bus, output) { Extra = panel.RenderAsync, ExtraLine = panel.LineAsync, Settled = SettledAsync };
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var killer = KillHalfwayAsync(watch, start.CampaignId, workers, panel, watching.Token);
        var final = await watch.RunAsync(start.CampaignId, stop);
        Say($"campaign {final.State.ToString().ToLowerInvariant()} in {clock.Elapsed.TotalSeconds:0.0} s from its start"
            + (settling is null ? string.Empty : $"; every shard on a running worker {settling.Elapsed.TotalSeconds:0.0} s after it ended"));
        await watching.CancelAsync();
        await killer;
        await flooding;

        var witness = (await http.GetFromJsonAsync<Witness>("witness/summary", stop))!;
        var matches = Summarise(final, witness, seeding, await SimulatorCountsAsync(http, stop), settled);
        output.Line(string.Empty);
        output.Line("/metrics of every process:");
        foreach (var child in children)
        {
            output.Line($"  {child.Name,-10} {new Uri(child.BaseUri, "metrics")}" + (child.Killed ? "  (killed)" : string.Empty));
        }

        return matches;
    }

    private async Task LogInAsync(IReadOnlyList<DemoSender> senders, HttpClient http, CancellationToken stop)
    {
        // A few logins at once, each on a bus of its own (a login reads its events in order).
        var secrets = new SimulatorSecrets(http, senders.ToDictionary(s => s.Id, s => s.Phone));
        var lanes = senders.Select((s, i) => (s, i)).GroupBy(x => x.i % 8, x => x.s);
        await Task.WhenAll(lanes.Select(async lane =>
        {
            await using var bus = await FleetBus.ConnectAsync(amqp, ShardAddressing.DefaultShardCount, StepDeadline, Login.Events, stop);
            foreach (var sender in lane)
            {
                await new Login(bus).RunAsync(sender.Id, sender.Phone, secrets, step => log.Write("demo", $"{sender.Id}: {step}"), stop);
            }
        }));
    }

    /// <summary>Once the campaign has delivered its first messages, the FLOOD_WAIT sender's next sends meet the wait.</summary>
    private async Task FloodOnceSendingAsync(HttpClient http, Seeding seeding, long deliveredBefore, CancellationToken stop)
    {
        await UntilAsync(async () => (await http.GetFromJsonAsync<Witness>("witness/summary", stop))!.Delivered > deliveredBefore, "the campaign's first sends", stop);
        await seeding.FloodAsync(http, stop);
        log.Write("demo", $"the simulator now answers {seeding.Senders[Seeding.FloodWaitSender - 1].Id}'s sends with FLOOD_WAIT ({options.FloodWaitSeconds} s)");
    }

    private async Task KillHalfwayAsync(CampaignWatch watch, Guid campaignId, List<ChildProcess> workers, FleetPanel panel, CancellationToken cancellationToken)
    {
        if (workers.Count < 2)
        {
            panel.Note("one worker only: none is killed (run with --workers 2 or more)");
            return;
        }

        try
        {
            while (true)
            {
                var status = await watch.StatusAsync(campaignId, cancellationToken);
                var d = status.Deliveries;
                if (CampaignScreen.HasEnded(status))
                {
                    return;
                }

                if ((d.Sent + d.Failed + d.Skipped + d.Unknown) * 2 >= d.Total && d.Total > 0)
                {
                    var victim = workers[0];
                    await victim.KillAsync();
                    var note = $"{TimeProvider.System.GetLocalNow():HH:mm:ss} {victim.Name} killed with SIGKILL at {(d.Sent + d.Failed + d.Skipped + d.Unknown) * 100 / d.Total}%: "
                        + "its shards move to the others once its leases expire; the campaign goes on";
                    panel.Note(note);
                    log.Write("demo", note);
                    return;
                }

                await Task.Delay(500, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The campaign ended or Ctrl+C.
        }
        catch (CliException e)
        {
            log.Write("demo", "halfway watch: " + e.Message);
        }
    }

    private bool Summarise(CampaignStatus final, Witness witness, Seeding cast, SimulatorCounts simulator, bool settled)
    {
        var d = final.Deliveries;
        // The cast is known by index (Seeding.KindOf): each privacy-restricted recipient and each
        // unknown username fails (or is unknown, cut off by the kill), each USER_PRIVACY_RESTRICTED
        // failure is an answer the simulator gave, and exactly those who opted out before are skipped.
        var restricted = final.Failures.GetValueOrDefault("USER_PRIVACY_RESTRICTED");
        var unknownNames = final.Failures.GetValueOrDefault("USERNAME_NOT_OCCUPIED");
        var (castRestricted, castUnknown) = (cast.Count(RecipientKind.PrivacyRestricted), cast.Count(RecipientKind.Unknown));
        var checks = new List<(string What, string Campaign, string Witness, bool Ok)>
        {
            ("every recipient accounted for", $"{d.Total:N0} = {d.Sent + d.Failed + d.Skipped + d.Unknown + d.Unsent:N0} ended", "-",
                final.State == CampaignState.Completed && d.Total == d.Sent + d.Failed + d.Skipped + d.Unknown + d.Unsent && d.Total == options.Recipients),
            // A send cut off by the kill may have reached Telegram before the worker died: those are "unknown", never resent.
            ("sent", $"{d.Sent:N0} (+{d.Unknown:N0} unknown)", $"{witness.Delivered:N0} delivered", witness.Delivered >= d.Sent && witness.Delivered <= d.Sent + d.Unknown),
            ("failed", string.Join(", ", final.Failures.Where(f => f.Key != "RECIPIENT_OPTED_OUT").Select(f => $"{f.Key} {f.Value:N0}")) is { Length: > 0 } reasons ? $"{d.Failed:N0}: {reasons}" : $"{d.Failed:N0}",
                $"{simulator.Sends.GetValueOrDefault("USER_PRIVACY_RESTRICTED"):N0} USER_PRIVACY_RESTRICTED answers",
                restricted <= castRestricted && restricted + d.Unknown >= castRestricted && restricted <= simulator.Sends.GetValueOrDefault("USER_PRIVACY_RESTRICTED")
                && unknownNames <= castUnknown && unknownNames + d.Unknown >= castUnknown),
            ("skipped (opted out)", $"{d.Skipped:N0}", $"cast: {cast.Count(RecipientKind.OptedOutBefore):N0} opted out before", d.Skipped == cast.Count(RecipientKind.OptedOutBefore)),
            ("duplicates", "-", $"{witness.Duplicates}", witness.Duplicates == 0),
            ("sends inside FLOOD_WAIT", "-", $"{witness.SendsDuringFloodWait}", witness.SendsDuringFloodWait == 0),
            ("sends to opted-out users", "-", $"{witness.SendsToOptedOut}", witness.SendsToOptedOut == 0),
            ("sessions live twice (AUTH_KEY_DUPLICATED)", "-", $"{witness.AuthKeyDuplicatedCount}", witness.AuthKeyDuplicatedCount == 0),
            ("every shard owned by a running worker", settled ? "yes" : "no", "-", settled),
            // What the simulator played (its /metrics): shown, not checked, since a small run may not reach them.
            ("FLOOD_WAIT / PEER_FLOOD answers", "-", $"{simulator.Faults.GetValueOrDefault("FLOOD_WAIT")} / {simulator.Faults.GetValueOrDefault("PEER_FLOOD")}", true),
        };
        var matches = checks.All(c => c.Ok);
        if (output.Plain)
        {
            output.Line("summary (the campaign's counts against the simulator's witness):");
            foreach (var c in checks)
            {
                output.Line($"  {(c.Ok ? "ok  " : "FAIL")} {c.What}: campaign {c.Campaign}, witness {c.Witness}");
            }
        }
        else
        {
            var table = new Table().Border(TableBorder.Rounded).Title("summary: the campaign against the simulator's witness")
                .AddColumn("").AddColumn("campaign").AddColumn("witness").AddColumn("");
            foreach (var c in checks)
            {
                table.AddRow(Markup.Escape(c.What), Markup.Escape(c.Campaign), Markup.Escape(c.Witness), c.Ok ? "[green]ok[/]" : "[red]MISMATCH[/]");
            }

            output.Write(table);
        }

        output.Line(matches ? "the summary matches the witness" : "the summary does NOT match the witness");
        return matches;
    }

    private void Say(string text)
    {
        output.Line($"demo {log.Elapsed,7} | " + text);
        log.Write("demo", text);
    }

    /// <summary>
    /// What the simulator counted on its /metrics: the sends it answered, by outcome
    /// (<c>tgfleet_simulator_sends_total</c>), and the faults it played, by kind (<c>tgfleet_simulator_faults_total</c>).
    /// </summary>
    private static async Task<SimulatorCounts> SimulatorCountsAsync(HttpClient sim, CancellationToken stop)
    {
        var counts = new SimulatorCounts(new Dictionary<string, long>(StringComparer.Ordinal), new Dictionary<string, long>(StringComparer.Ordinal));
        foreach (Match m in CounterLine().Matches(await sim.GetStringAsync(new Uri("metrics", UriKind.Relative), stop)))
        {
            (m.Groups["counter"].Value == "sends" ? counts.Sends : counts.Faults)[m.Groups["label"].Value] =
                (long)double.Parse(m.Groups["count"].Value, CultureInfo.InvariantCulture);
        }

        return counts;
    }

    [GeneratedRegex(@"^tgfleet_simulator_(?<counter>sends|faults)_total\{[^}]*(?:outcome|kind)=""(?<label>[A-Za-z_]+)""[^}]*\} (?<count>[0-9.e+]+)", RegexOptions.Multiline)]
    private static partial Regex CounterLine();

    private sealed record SimulatorCounts(Dictionary<string, long> Sends, Dictionary<string, long> Faults);

    private static async Task<bool> FairShareAsync(NpgsqlDataSource db, List<ChildProcess> workers, CancellationToken stop)
    {
        await using var command = db.CreateCommand("SELECT owner, count(*) FROM shard_leases WHERE owner IS NOT NULL AND expires_at > now() GROUP BY owner");
        await using var reader = await command.ExecuteReaderAsync(stop);
        var owned = new Dictionary<string, long>();
        while (await reader.ReadAsync(stop))
        {
            owned[reader.GetString(0)] = reader.GetInt64(1);
        }

        return owned.Values.Sum() == ShardAddressing.DefaultShardCount && workers.All(w => owned.GetValueOrDefault(w.Name) >= ShardAddressing.DefaultShardCount / workers.Count);
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql, CancellationToken stop)
    {
        await using var command = db.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(stop), CultureInfo.InvariantCulture);
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what, CancellationToken stop, TimeSpan? deadline = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = deadline ?? StepDeadline;
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"waited {limit.TotalSeconds:0} s for {what}");
            }

            await Task.Delay(250, stop);
        }
    }

    private sealed record Witness(long Delivered, long Duplicates, long SendsDuringFloodWait, long SendsToOptedOut, int AuthKeyDuplicatedCount);

    /// <summary>Login codes as a person reads them from their phone: here from the simulator's control API.</summary>
    private sealed class SimulatorSecrets(HttpClient sim, Dictionary<string, string> phones) : ILoginSecrets
    {
        public async Task<string> CodeAsync(string accountId, string? delivery, bool retry, CancellationToken cancellationToken) =>
            (await sim.GetFromJsonAsync<CodeView>("control/codes/" + Uri.EscapeDataString(phones[accountId]), cancellationToken))!.Code;

        public Task<string> PasswordAsync(string accountId, string? hint, bool retry, CancellationToken cancellationToken) =>
            throw new CliException("the demo's senders have no two-step verification");

        private sealed record CodeView(string Phone, string Code);
    }
}
