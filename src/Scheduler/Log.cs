
namespace TgFleet.Scheduler;

/// <summary>The scheduler's log messages (no message texts, no phone numbers: ids and counts only).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = EventIds.CampaignStarted, Level = LogLevel.Information, Message = "Campaign {CampaignId} started with {Senders} senders")]
    internal static partial void CampaignStarted(ILogger logger, Guid campaignId, int senders);

    [LoggerMessage(EventId = EventIds.CampaignRejected, Level = LogLevel.Warning, Message = "{Command} for campaign {CampaignId} rejected: {Field} {Reason}")]
    internal static partial void CampaignRejected(ILogger logger, string command, Guid campaignId, string field, string reason);

    [LoggerMessage(EventId = EventIds.RecipientsImported, Level = LogLevel.Debug,
        Message = "Campaign {CampaignId} batch {BatchId}: {Accepted} accepted, {Duplicates} duplicates, {Rejected} rejected")]
    internal static partial void RecipientsImported(ILogger logger, Guid campaignId, Guid batchId, int accepted, int duplicates, int rejected);

    [LoggerMessage(EventId = EventIds.CampaignStateChanged, Level = LogLevel.Information, Message = "Campaign {CampaignId} is {State} ({Reason})")]
    internal static partial void CampaignStateChanged(ILogger logger, Guid campaignId, string state, string reason);

    [LoggerMessage(EventId = EventIds.CampaignCompleted, Level = LogLevel.Information,
        Message = "Campaign {CampaignId} ended ({Reason}): {Sent} sent, {Failed} failed, {Skipped} skipped, {Unknown} unknown, {Unsent} unsent")]
    internal static partial void CampaignCompleted(ILogger logger, Guid campaignId, string reason, long sent, long failed, long skipped, long unknown, long unsent);

    [LoggerMessage(EventId = EventIds.Resent, Level = LogLevel.Information, Message = "Sent {Count} dispatched deliveries again under their command ids (no outcome yet)")]
    internal static partial void Resent(ILogger logger, int count);

    [LoggerMessage(EventId = EventIds.SenderLimited, Level = LogLevel.Warning, Message = "Sender {AccountId} leaves campaign {CampaignId} until {Until} after PEER_FLOOD")]
    internal static partial void SenderLimited(ILogger logger, string accountId, Guid campaignId, DateTimeOffset until);

    [LoggerMessage(EventId = EventIds.DispatchFailed, Level = LogLevel.Warning, Message = "Sending dispatched deliveries of campaign {CampaignId} failed; they are sent again later")]
    internal static partial void DispatchFailed(ILogger logger, Exception exception, Guid campaignId);

    [LoggerMessage(EventId = EventIds.JobFailed, Level = LogLevel.Error, Message = "Job {Job} failed")]
    internal static partial void JobFailed(ILogger logger, Exception exception, string job);

    [LoggerMessage(EventId = EventIds.JobMisfired, Level = LogLevel.Warning, Message = "Trigger of job {Job} misfired")]
    internal static partial void JobMisfired(ILogger logger, string job);

    [LoggerMessage(EventId = EventIds.CleanupRan, Level = LogLevel.Information,
        Message = "Cleanup deleted {Sessions} sessions, {JournalRows} journal rows, {Deliveries} deliveries, {Workers} worker registrations")]
    internal static partial void CleanupRan(ILogger logger, int sessions, long journalRows, long deliveries, int workers);
}
