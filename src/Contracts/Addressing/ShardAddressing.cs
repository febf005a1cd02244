using System.Globalization;
using System.Text;

namespace TgFleet.Contracts.Addressing;

/// <summary>
/// Maps an account id to its virtual shard and the shard's queue. Language-neutral on purpose:
/// shard = FNV-1a 32-bit hash of the account id's UTF-8 bytes, as an unsigned integer, modulo the
/// shard count; queue = <c>tgfleet.shard.</c> + the shard number zero-padded to three digits.
/// Test vectors are in docs/addressing.md so publishers in other languages compute the same.
/// </summary>
public static class ShardAddressing
{
    /// <summary>The default number of virtual shards.</summary>
    public const int DefaultShardCount = 64;

    /// <summary>The prefix of every shard queue's name.</summary>
    public const string QueuePrefix = "tgfleet.shard.";

    private const uint FnvOffsetBasis = 2166136261;
    private const uint FnvPrime = 16777619;

    /// <summary>The FNV-1a 32-bit hash of <paramref name="accountId"/>'s UTF-8 bytes.</summary>
    public static uint Hash(string accountId)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        var hash = FnvOffsetBasis;
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetByteCount(accountId) <= buffer.Length
            ? buffer[..Encoding.UTF8.GetBytes(accountId, buffer)]
            : Encoding.UTF8.GetBytes(accountId);
        foreach (var b in bytes)
        {
            hash ^= b;
            hash = unchecked(hash * FnvPrime);
        }

        return hash;
    }

    /// <summary>The shard (0 … <paramref name="shardCount"/> − 1) of <paramref name="accountId"/>.</summary>
    public static int ShardOf(string accountId, int shardCount = DefaultShardCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shardCount, 1000);
        return (int)(Hash(accountId) % (uint)shardCount);
    }

    /// <summary>The queue name of <paramref name="shard"/>, e.g. <c>tgfleet.shard.007</c>.</summary>
    public static string QueueName(int shard)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shard, 999);
        return QueuePrefix + shard.ToString("D3", CultureInfo.InvariantCulture);
    }

    /// <summary>The queue name of <paramref name="accountId"/>'s shard.</summary>
    public static string QueueNameOf(string accountId, int shardCount = DefaultShardCount) => QueueName(ShardOf(accountId, shardCount));
}
