namespace TgFleet.Worker.Sharding;

/// <summary>A held lease: the shard and the epoch that fences every write made under it.</summary>
/// <param name="Shard">The virtual shard.</param>
/// <param name="Epoch">The fencing token, one higher at every acquisition.</param>
public sealed record ShardLease(int Shard, long Epoch);
