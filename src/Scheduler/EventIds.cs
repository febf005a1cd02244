namespace TgFleet.Scheduler;

/// <summary>Log event ids of the scheduler, a range per area (after npgsql's NpgsqlEventId).</summary>
internal static class EventIds
{
    // 5000s: campaign commands and lifecycle.
    public const int CampaignStarted = 5000;
    public const int CampaignRejected = 5001;
    public const int RecipientsImported = 5002;
    public const int CampaignStateChanged = 5003;
    public const int CampaignCompleted = 5004;

    // 5100s: dispatch and outcomes.
    public const int Dispatched = 5100;
    public const int Resent = 5101;
    public const int SenderLimited = 5102;
    public const int DispatchFailed = 5103;

    // 5200s: jobs and cleanup.
    public const int JobFailed = 5200;
    public const int JobMisfired = 5201;
    public const int CleanupRan = 5202;
}
