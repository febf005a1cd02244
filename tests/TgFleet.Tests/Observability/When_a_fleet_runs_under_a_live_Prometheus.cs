using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Dapper;
using MassTransit;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;
using TgFleet.DevServers;
using TgFleet.Simulator;
using TgFleet.Testing;
using TgFleet.Tests.Scheduler;
using TgFleet.Tests.Simulator;
using TgFleet.Tests.Worker.Fleet;

namespace TgFleet.Tests.Observability;

/// <summary>
/// Two worker processes, the scheduler process and the simulator, with JSON console logs and
/// traces exported over OTLP, run logins (one with 2FA), sends (one ending in PEER_FLOOD) and a
/// small campaign while a
/// REAL Prometheus scrapes them and RabbitMQ's per-object metrics every second and evaluates
/// deploy/'s rules. Then one worker is stopped. The dashboard's and the rules' expressions are
/// evaluated through the HTTP API, one send's trace is followed from its publisher to its outcome
/// event, and every line the processes wrote is searched for the run's secrets.
/// </summary>
[TestFixture, Category("Observability")]
public sealed partial class When_a_fleet_runs_under_a_live_Prometheus
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    // The alerts a stopped worker may raise; anything else pending or firing is a false alarm.
    private static readonly string[] StopAlerts = ["TgFleetWorkerDown", "TgFleetShardsUnowned"];

    private static readonly string[] WorkerIds = ["w1", "w2"];

    private const string UpstreamSource = "TgFleet.Tests.Upstream";
    private static readonly ActivitySource Upstream = new(UpstreamSource);

    // Who records a worker's part of a send: MassTransit's consume and publish, Npgsql's statements, the binding's TDLib requests.
    private static readonly string[] WorkerScopes = ["MassTransit", "Npgsql", "TgFleet.Tdlib"];

    private readonly List<string> _secrets = [];
    private readonly ConcurrentQueue<(string TraceId, string Description)> _upstreamActivities = new();
    private ActivityListener _listener = null!;
    private OtlpReceiver _otlp = null!;
    private string _tracedSend = string.Empty;
    private FleetBed _fleet = null!;
    private WorkerProcess[] _workers = null!;
    private SchedulerProcess _scheduler = null!;
    private LivePrometheus _prometheus = null!;
    private IReadOnlyList<(string Name, string State, string Labels)> _alertsBeforeStop = [];
    private IReadOnlyList<(string Name, string State, string Labels)> _alertsAfterStop = [];
    private int _stoppedExitCode;

    [OneTimeSetUp]
    public async Task RunAsync()
    {
        // The upstream side records MassTransit's activities (so its sends carry a traceparent) and its own.
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "MassTransit" or UpstreamSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => _upstreamActivities.Enqueue((a.TraceId.ToHexString(), a.DisplayName + " " + string.Join(' ', a.TagObjects.Select(t => t.Value)))),
        };
        ActivitySource.AddActivityListener(_listener);
        _otlp = new OtlpReceiver();
        _fleet = await FleetBed.StartAsync();
        _secrets.Add(_fleet.SessionKey);
        var json = new Dictionary<string, string?>
        {
            ["Logging__Console__FormatterName"] = "json",
            ["Logging__Console__FormatterOptions__SingleLine"] = null,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _otlp.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        };
        _scheduler = SchedulerProcess.Start(_fleet, "s1", json.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!));
        // Each worker's egress gate (its child process) serves /metrics on a port of its own.
        var gates = new[] { FreePort.Next(), FreePort.Next() };
        var starting = WorkerIds
            .Select((id, i) => _fleet.StartWorkersAsync(new Dictionary<string, string?>(json) { ["Gate__ChildUrls"] = $"http://127.0.0.1:{gates[i]}" }, id))
            .ToArray();
        _workers = (await Task.WhenAll(starting)).SelectMany(w => w).ToArray();
        await _fleet.WaitForFairShareAsync(_workers);
        await _scheduler.WaitUntilReadyAsync(Deadline);

        var rabbitMq = await TestInfrastructure.RabbitMqAsync();
        _prometheus = await LivePrometheus.StartAsync(new Dictionary<string, string[]>
        {
            ["tgfleet-worker"] = _workers.Select(w => w.BaseUri.Authority).ToArray(),
            ["tgfleet-gate"] = gates.Select(p => $"127.0.0.1:{p}").ToArray(),
            ["tgfleet-scheduler"] = [_scheduler.BaseUri.Authority],
            ["tgfleet-simulator"] = [_fleet.Sim.Server.BaseAddress.Authority],
            ["rabbitmq"] = [$"127.0.0.1:{rabbitMq.PrometheusPort}"],
        });

        // Logins on shards of both workers, one with two-step verification.
        var owners = await _fleet.OwnersAsync();
        var senders = new List<FleetAccount>();
        foreach (var worker in _workers)
        {
            senders.Add(await LogInAsync(owners.First(o => o.Value == worker.Id).Key, password: null));
        }

        senders.Add(await LogInAsync(owners.Last(o => o.Value == _workers[0].Id).Key, password: "2fa-" + Guid.NewGuid().ToString("N")[..10]));

        // Sends: each sender to its own recipient, then one sender that Telegram limits (PEER_FLOOD on its second stranger).
        using (var root = Upstream.StartActivity("upstream sends a message"))
        {
            _tracedSend = root!.TraceId.ToHexString();
            await SendAndWaitAsync(senders[1], await NewRecipientAsync());
        }

        foreach (var sender in senders)
        {
            await SendAndWaitAsync(sender, await NewRecipientAsync());
        }

        await _fleet.Sim.SetFaultsAsync(senders[0].Phone, new AccountFaults(PeerFloodAfter: 2));
        await SendAndWaitAsync(senders[0], await NewRecipientAsync());
        var limited = await SendAndWaitAsync(senders[0], await NewRecipientAsync());
        Assert.That(limited, Is.TypeOf<MessageFailed>().And.Property(nameof(MessageFailed.Reason)).EqualTo("PEER_FLOOD"));

        await RunCampaignAsync(senders[2]);

        // Every dashboard panel has had the time to see all of it (1 s scrapes, 1 m windows).
        await Wait.UntilAsync(async () => (await EmptyDashboardTargetsAsync()).Count == 0, Deadline,
            () => string.Join("\n", EmptyDashboardTargetsAsync().GetAwaiter().GetResult()));
        await Wait.UntilAsync(async () => (await _prometheus.QueryAsync("sum(tgfleet_messages_sent_total)")).Length > 0 &&
            double.Parse((await _prometheus.QueryAsync("sum(tgfleet_messages_sent_total)"))[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture) >= senders.Count + 1, Deadline);
        // A rule whose expression holds on a healthy fleet stays pending; a scrape that timed out on a
        // loaded machine passes. So: the alerts seen when none was active, or the last seen at the deadline.
        try
        {
            await Wait.UntilAsync(async () => (_alertsBeforeStop = Active(await _prometheus.AlertsAsync())).Count == 0, TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            // Asserted by Nothing_fires_on_the_healthy_fleet.
        }

        _stoppedExitCode = await _workers[0].TerminateAsync(Deadline);
        await Wait.UntilAsync(async () => Active(await _prometheus.AlertsAsync()).Any(a => StopAlerts.Contains(a.Name)), Deadline,
            () => string.Join("; ", _prometheus.AlertsAsync().GetAwaiter().GetResult()));
        _alertsAfterStop = Active(await _prometheus.AlertsAsync());
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_prometheus is not null)
        {
            await _prometheus.DisposeAsync();
        }

        if (_scheduler is not null)
        {
            await _scheduler.DisposeAsync();
        }

        if (_fleet is not null)
        {
            await _fleet.DisposeAsync();
        }

        if (_otlp is not null)
        {
            await _otlp.DisposeAsync();
        }

        _listener?.Dispose();
    }

    [Test]
    public async Task Every_dashboard_panel_returns_data()
    {
        Assert.That(await EmptyDashboardTargetsAsync(), Is.Empty, "panels whose expression returned no series");
        Assert.That(DashboardExpressions(), Has.Count.GreaterThanOrEqualTo(20));
    }

    [Test]
    public async Task Every_rule_expression_evaluates()
    {
        var refused = new List<string>();
        foreach (var expression in RuleExpressions())
        {
            try
            {
                await _prometheus.QueryAsync(expression);
            }
            catch (InvalidOperationException e)
            {
                refused.Add(e.Message);
            }
        }

        Assert.That(refused, Is.Empty);

        Assert.That(await _prometheus.QueryAsync("tgfleet:worker_memory_per_client:bytes"), Is.Not.Empty, "the recording rule produced data");
    }

    [Test]
    public async Task Every_metric_named_in_deploy_is_emitted_by_a_process()
    {
        var emitted = await _prometheus.MetricNamesAsync();
        var recorded = Prometheus.Rules().Select(r => Prometheus.Scalar(r, "record")).Where(r => r.Length > 0).ToHashSet();
        var named = DashboardExpressions().Select(t => t.Expression).Concat(RuleExpressions()).SelectMany(MetricNames).Distinct().Where(n => !recorded.Contains(n)).ToList();
        Assert.That(named, Is.Not.Empty);
        Assert.That(named.Where(n => !emitted.Contains(n)), Is.Empty, "named in deploy/ but emitted by no process");
    }

    [Test]
    public async Task The_egress_gate_beside_each_worker_is_scraped_with_the_connections_it_let_through()
    {
        // Over the whole run: the stopped worker's gate stopped with it.
        var up = await _prometheus.QueryAsync("max_over_time(up{job=\"tgfleet-gate\"}[10m]) == 1");
        var opened = await _prometheus.QueryAsync("sum(max_over_time(tgfleet_gate_connections_opened_total{job=\"tgfleet-gate\"}[10m]))");

        Assert.That(up, Has.Length.EqualTo(_workers.Length), "every gate answered /metrics");
        Assert.That(opened, Has.Length.EqualTo(1));
        Assert.That(double.Parse(opened[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture), Is.Positive, "the accounts' connections went through the gates");
    }

    [Test]
    public void Nothing_fires_on_the_healthy_fleet()
    {
        Assert.That(_alertsBeforeStop, Is.Empty);
    }

    [Test]
    public void Stopping_a_worker_raises_worker_down_or_shards_unowned_and_nothing_else()
    {
        Assert.That(_stoppedExitCode, Is.Zero, "a clean hand-over");
        Assert.That(_alertsAfterStop.Select(a => a.Name), Has.Some.AnyOf(StopAlerts));
        Assert.That(_alertsAfterStop.Where(a => !StopAlerts.Contains(a.Name)), Is.Empty);
    }

    [Test]
    public async Task One_trace_follows_a_SendMessage_from_its_publisher_to_its_MessageSent()
    {
        IReadOnlyList<ReceivedSpan> spans = [];
        await Wait.UntilAsync(() =>
        {
            spans = _otlp.Spans.Where(s => s.TraceId == _tracedSend).ToList();
            return spans.Any(s => s.Scope == "TgFleet.Tdlib" && s.Name == "tdlib sendMessage");
        }, Deadline, () => string.Join("; ", spans.Select(s => $"{s.Service}/{s.Scope}/{s.Name}")) + $" of {_otlp.Spans.Count} spans");

        Assert.That(spans.Where(s => s.Service == "tgfleet-worker").Select(s => s.Scope), Is.SupersetOf(WorkerScopes),
            "the worker's consume, its database statements and its TDLib requests are in the publisher's trace");
        Assert.That(spans.Select(s => s.ParentSpanId), Has.All.Not.Empty, "no worker span starts a trace of its own");
        Assert.That(_upstreamActivities.Where(a => a.TraceId == _tracedSend).Select(a => a.Description), Has.Some.Contains("MessageSent"),
            "the upstream side received the outcome event in the same trace");
    }

    [Test]
    public void The_logs_are_JSON_lines()
    {
        foreach (var output in new[] { _workers[0].Run.Output, _workers[1].Run.Output, _scheduler.Run.Output })
        {
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.That(lines, Is.Not.Empty);
            foreach (var line in lines)
            {
                Assert.That(() => JsonDocument.Parse(line).Dispose(), Throws.Nothing, line);
            }
        }
    }

    [Test]
    public void No_process_logged_a_phone_code_password_key_or_message_text()
    {
        var outputs = _workers.Select(w => (w.Id, w.Run.Output)).Append(("scheduler", _scheduler.Run.Output)).Append(("prometheus", _prometheus.Run.Output)).ToList();
        Assert.That(_secrets, Has.Count.GreaterThan(10));
        foreach (var (process, output) in outputs)
        {
            // Phone numbers (with and without +), login codes, 2FA passwords, message texts, the session key.
            Assert.That(_secrets.Where(secret => output.Contains(secret, StringComparison.Ordinal)), Is.Empty, $"{process} logged these");
        }

        Assert.That(_workers[0].Run.Output, Does.Contain("Acquired shard"), "the scan read the real output");
    }

    // ---------------------------------------------------------------- the run

    private async Task<FleetAccount> LogInAsync(int shard, string? password)
    {
        var phone = SimulatorHarness.NewPhone();
        _secrets.Add(phone);
        _secrets.Add(phone.TrimStart('+'));
        await _fleet.Sim.SeedAccountAsync(phone, password: password);
        var account = new FleetAccount(FleetBed.AccountOnShard(shard), phone, shard);
        var since = FleetEvents.Now;
        await _fleet.SendAsync(new Authenticate(Guid.NewGuid(), account.Id, phone));
        await _fleet.Events.WaitForLoginAsync(account.Id, AuthenticationState.AwaitingCode, since, Deadline, _fleet.Describe);
        var code = await _fleet.Sim.CodeAsync(phone);
        _secrets.Add(code);
        await _fleet.SendAsync(new SubmitAuthenticationCode(Guid.NewGuid(), account.Id, code));
        if (password is not null)
        {
            _secrets.Add(password);
            await _fleet.Events.WaitForLoginAsync(account.Id, AuthenticationState.AwaitingPassword, since, Deadline, _fleet.Describe);
            await _fleet.SendAsync(new SubmitAuthenticationPassword(Guid.NewGuid(), account.Id, password));
        }

        await _fleet.Events.WaitForStatusAsync(account.Id, AccountStatus.Online, since, Deadline, _fleet.Describe);
        return account;
    }

    private async Task<string> NewRecipientAsync()
    {
        var phone = SimulatorHarness.NewPhone();
        _secrets.Add(phone);
        var username = "r" + Guid.NewGuid().ToString("N")[..12];
        await _fleet.Sim.SeedUserAsync(new UserSeed(phone, "Rita", "Recipient", username));
        return username;
    }

    private async Task<object> SendAndWaitAsync(FleetAccount sender, string recipient)
    {
        var text = "private text " + Guid.NewGuid().ToString("N");
        _secrets.Add(text);
        var command = new SendMessage(Guid.NewGuid(), sender.Id, Recipient.Username(recipient), text);
        var since = FleetEvents.Now;
        await _fleet.SendAsync(command);
        await Wait.UntilAsync(() => Outcome(command.CommandId, since) is not null, Deadline, _fleet.Describe);
        return Outcome(command.CommandId, since)!;
    }

    /// <summary>A campaign of one sender and two recipients, until both received their message (the simulator's witness).</summary>
    private async Task RunCampaignAsync(FleetAccount sender)
    {
        var campaignId = Guid.NewGuid();
        var text = "campaign text " + Guid.NewGuid().ToString("N");
        _secrets.Add(text);
        var endpoint = await _fleet.Bus.GetSendEndpoint(CampaignAddressing.Address);
        await endpoint.Send(new StartCampaign(Guid.NewGuid(), campaignId, "observability", [sender.Id], new MessageTemplate(text),
            new CampaignPacing(MinimumIntervalMs: 0, DailyCapPerSender: 100)));
        await Wait.UntilAsync(async () =>
        {
            await using var conn = await _fleet.Db.OpenConnectionAsync();
            return await conn.ExecuteScalarAsync<int>(new CommandDefinition("SELECT count(*) FROM campaigns WHERE campaign_id = @campaignId", new { campaignId })) == 1;
        }, Deadline, () => _scheduler.Run.Output);
        var recipients = new[] { await NewRecipientAsync(), await NewRecipientAsync() };
        await endpoint.Send(new AddCampaignRecipients(Guid.NewGuid(), campaignId, Guid.NewGuid(), recipients.Select(r => new CampaignRecipient(Recipient.Username(r))).ToList()));
        foreach (var recipient in recipients)
        {
            await Wait.UntilAsync(async () => (await _fleet.Sim.ReceivedAsync(recipient)).Length == 1, Deadline, () => _scheduler.Run.Output);
        }
    }

    private object? Outcome(Guid commandId, long since) =>
        _fleet.Events.Since<MessageSent>(since).Where(e => e.Message.CommandId == commandId).Select(e => (object)e.Message)
            .Concat(_fleet.Events.Since<MessageFailed>(since).Where(e => e.Message.CommandId == commandId).Select(e => (object)e.Message))
            .FirstOrDefault();

    private static List<(string Name, string State, string Labels)> Active(IReadOnlyList<(string Name, string State, string Labels)> alerts) =>
        alerts.Where(a => a.State is "pending" or "firing").ToList();

    // ---------------------------------------------------------------- deploy/'s expressions

    /// <summary>Every target expression of every panel of the dashboard: panel title → expression.</summary>
    private static List<(string Panel, string Expression)> DashboardExpressions()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Prometheus.DashboardFile));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => (p.GetProperty("title").GetString()!, t.GetProperty("expr").GetString()!)))
            .ToList();
    }

    private static IEnumerable<string> RuleExpressions() => Prometheus.Rules().Select(r => Prometheus.Scalar(r, "expr"));

    private async Task<List<string>> EmptyDashboardTargetsAsync()
    {
        var empty = new List<string>();
        foreach (var (panel, expression) in DashboardExpressions())
        {
            if ((await _prometheus.QueryAsync(expression)).Length == 0)
            {
                empty.Add($"{panel}: {expression}");
            }
        }

        return empty;
    }

    /// <summary>The metric names an expression selects: identifiers outside label matchers, ranges, strings and grouping clauses that are not functions or keywords.</summary>
    private static IEnumerable<string> MetricNames(string expression)
    {
        var bare = Grouping().Replace(Braces().Replace(Ranges().Replace(Strings().Replace(expression, " "), " "), " "), " ");
        return Identifier().Matches(bare).Where(m => !m.Groups[2].Success).Select(m => m.Groups[1].Value)
            .Where(name => !Keywords.Contains(name) && !double.TryParse(name, CultureInfo.InvariantCulture, out _));
    }

    private static readonly HashSet<string> Keywords = ["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "inf", "nan"];

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    // An identifier, and whether a '(' follows (a function call).
    [GeneratedRegex(@"(?<![A-Za-z0-9_:.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?")]
    private static partial Regex Identifier();
}
