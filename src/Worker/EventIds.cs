namespace TgFleet.Worker;

/// <summary>Log event ids, a range per area (after npgsql's NpgsqlEventId).</summary>
internal static class EventIds
{
    // 1000s: shards and leases.
    public const int ShardAcquired = 1000;
    public const int ShardReleased = 1001;
    public const int ShardLost = 1002;
    public const int ShardFenced = 1003;
    public const int LeaseRenewalFailed = 1004;
    public const int ShardStartFailed = 1005;
    public const int Rebalancing = 1006;
    public const int Draining = 1007;
}
