using NUnit.Framework;
using TgFleet.Contracts.Addressing;

namespace TgFleet.Tests.Worker;

[TestFixture, Category("Worker")]
public sealed class When_an_account_id_is_addressed
{
    // The vectors published in docs/addressing.md for publishers in other languages.
    [TestCase("a", 0xE40C292Cu)]
    [TestCase("foobar", 0xBF9CF968u)]
    public void The_hash_is_FNV_1a_32_of_the_UTF8_bytes(string accountId, uint expected) =>
        Assert.That(ShardAddressing.Hash(accountId), Is.EqualTo(expected));

    [TestCase("acct-0001", 64)]
    [TestCase("Zoë 🚀", 64)]
    [TestCase("acct-0001", 7)]
    public void The_shard_is_the_hash_modulo_the_shard_count(string accountId, int shards) =>
        Assert.That(ShardAddressing.ShardOf(accountId, shards), Is.EqualTo((int)(ShardAddressing.Hash(accountId) % (uint)shards)));

    [Test]
    public void The_queue_name_is_zero_padded() =>
        Assert.That(ShardAddressing.QueueName(7), Is.EqualTo("tgfleet.shard.007"));

    [Test]
    public void An_empty_account_id_is_rejected() =>
        Assert.That(() => ShardAddressing.ShardOf(""), Throws.ArgumentException);
}
