namespace TgFleet.Gate;

/// <summary>Log event ids of the egress gate (7000s; the worker's areas are in TgFleet.Worker.EventIds).</summary>
internal static class EventIds
{
    public const int Listening = 7000;
    public const int Refused = 7001;
    public const int Fenced = 7002;
    public const int Recorded = 7003;
    public const int LeasesUnreadable = 7004;
    public const int OrphanDone = 7005;
    public const int ParentGone = 7006;
    public const int RelayOpened = 7007;
}
