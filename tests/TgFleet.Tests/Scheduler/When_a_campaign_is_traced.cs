using System.Collections.Concurrent;
using System.Diagnostics;
using NUnit.Framework;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;
using TgFleet.Testing;
using TgFleet.Tests.Observability;

namespace TgFleet.Tests.Scheduler;

[TestFixture, Category("Scheduler")]
public sealed class When_a_campaign_is_traced
{
    private const string UpstreamSource = "TgFleet.Tests.Upstream.Campaigns";
    private static readonly ActivitySource Upstream = new(UpstreamSource);

    private readonly ConcurrentQueue<(string TraceId, string Description)> _upstream = new();
    private ActivityListener _listener = null!;
    private OtlpReceiver _otlp = null!;
    private CampaignBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // The upstream side records MassTransit's activities (so its StartCampaign carries a traceparent) and its own.
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "MassTransit" or UpstreamSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => _upstream.Enqueue((a.TraceId.ToHexString(), a.DisplayName + " " + string.Join(' ', a.TagObjects.Select(t => t.Value)))),
        };
        ActivitySource.AddActivityListener(_listener);
        _otlp = new OtlpReceiver();
        _bed = await CampaignBed.StartAsync();
        var otlp = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _otlp.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        };
        await _bed.Fleet.StartWorkersAsync(otlp.ToDictionary(kv => kv.Key, kv => (string?)kv.Value), "w1");
        await _bed.StartSchedulersAsync(otlp, "s1");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _bed.DisposeAsync();
        await _otlp.DisposeAsync();
        _listener.Dispose();
    }

    [Test]
    public async Task StartCampaign_its_SendMessage_and_the_MessageSent_are_one_trace()
    {
        var sender = await _bed.Fleet.LogInAsync(0);
        var user = await _bed.SeedRecipientAsync("Tia");
        var campaignId = Guid.NewGuid();
        string trace;
        using (var root = Upstream.StartActivity("upstream starts a campaign"))
        {
            trace = root!.TraceId.ToHexString();
            await _bed.SendAsync(new StartCampaign(Guid.NewGuid(), campaignId, "traced", [sender.Id], new MessageTemplate("traced"),
                new CampaignPacing(MinimumIntervalMs: 0, DailyCapPerSender: 100)));
        }

        await _bed.WaitForAsync<CampaignStarted>(e => e.CampaignId == campaignId);
        // The batch is sent outside the campaign's trace: the sends still join StartCampaign's.
        await _bed.SendAsync(new AddCampaignRecipients(Guid.NewGuid(), campaignId, Guid.NewGuid(), [new CampaignRecipient(Recipient.Username(user))]));
        await _bed.WaitForAsync<CampaignCompleted>(e => e.CampaignId == campaignId);

        IReadOnlyList<ReceivedSpan> spans = [];
        await Wait.UntilAsync(() =>
        {
            spans = _otlp.Spans.Where(s => s.TraceId == trace).ToList();
            return spans.Any(s => s.Service == "tgfleet-scheduler" && s.Name == "campaign dispatch")
                && spans.Any(s => s.Service == "tgfleet-worker" && s.Scope == "TgFleet.Tdlib" && s.Name == "tdlib sendMessage")
                && _upstream.Any(a => a.TraceId == trace && a.Description.Contains("MessageSent", StringComparison.Ordinal));
        }, CampaignBed.Deadline, () => string.Join("; ", spans.Select(s => $"{s.Service}/{s.Scope}/{s.Name}")) + $" of {_otlp.Spans.Count} spans; upstream: "
            + string.Join("; ", _upstream.Where(a => a.TraceId == trace).Select(a => a.Description)));

        var dispatch = spans.First(s => s.Service == "tgfleet-scheduler" && s.Name == "campaign dispatch");
        Assert.That(dispatch.ParentSpanId, Is.Not.Empty, "the dispatch continues the StartCampaign's trace rather than starting one");
        Assert.That(spans.Where(s => s.Service == "tgfleet-worker").Select(s => s.ParentSpanId), Has.All.Not.Empty);
        Assert.That(await _bed.ReceivedAsync(user), Has.Count.EqualTo(1));
    }
}
