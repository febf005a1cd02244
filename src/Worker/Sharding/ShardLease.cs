namespace TgFleet.Worker.Sharding;

/// <summary>A held lease: the shard and the epoch that fences every write made under it.</summary>
/// <param name="Shard">The virtual shard.</param>
/// <param name="Epoch">The fencing token, one higher at every acquisition.</param>
public sealed record ShardLease(int Shard, long Epoch);

/// <summary>A lease just won: when its shard may start.</summary>
/// <param name="Lease">The lease.</param>
/// <param name="Wait">How long to wait before starting (zero: at once).</param>
/// <param name="TakenFromExpired">True when the previous owner's lease expired with its connections not recorded closed.</param>
public sealed record AcquiredLease(ShardLease Lease, TimeSpan Wait, bool TakenFromExpired);
