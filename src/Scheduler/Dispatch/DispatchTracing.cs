using System.Diagnostics;
using TgFleet.Scheduler.Campaigns;

namespace TgFleet.Scheduler.Dispatch;

/// <summary>
/// The activities of dispatch: each round's SendMessage commands of one campaign are sent inside an
/// activity whose parent is the campaign's StartCampaign (its stored W3C traceparent), so
/// StartCampaign, the SendMessage it causes and the MessageSent that answers it are one trace
/// (docs/campaigns.md, "Traces"). Nothing is created while no tracer listens.
/// </summary>
public static class DispatchTracing
{
    /// <summary>The activity source (exported with the fleet's <c>TgFleet.*</c> sources).</summary>
    public const string SourceName = "TgFleet.Scheduler.Dispatch";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts the activity of sending <paramref name="count"/> commands of <paramref name="campaign"/> (null when nothing listens).</summary>
    public static Activity? Start(string name, CampaignRow campaign, int count)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        if (!Source.HasListeners())
        {
            return null;
        }

        var parent = ActivityContext.TryParse(campaign.TraceParent, null, out var stored) ? stored : default;
        var activity = Source.StartActivity(name, ActivityKind.Producer, parent);
        activity?.SetTag("tgfleet.campaign.id", campaign.CampaignId.ToString());
        activity?.SetTag("tgfleet.campaign.deliveries", count);
        return activity;
    }
}
