using NUnit.Framework;
using TgFleet.Contracts.Addressing;

namespace TgFleet.Tests.Worker;

[TestFixture, Category("Worker")]
public sealed class When_an_account_id_is_addressed
{
    // The vectors published in docs/addressing.md for publishers in other languages.
    [TestCase("a", 0xE40C292Cu, 44)]
    [TestCase("foobar", 0xBF9CF968u, 40)]
    [TestCase("acct-0001", 0x792CCC02u, 2)]
    [TestCase("Zoë 🚀", 0x51ADC32Bu, 43)]
    public void The_documented_vectors_hold(string accountId, uint hash, int shardOf64)
    {
        Assert.That(ShardAddressing.Hash(accountId), Is.EqualTo(hash));
        Assert.That(ShardAddressing.ShardOf(accountId, 64), Is.EqualTo(shardOf64));
    }

    [Test]
    public void The_shard_is_the_hash_modulo_the_shard_count() =>
        Assert.That(ShardAddressing.ShardOf("acct-0001", 7), Is.EqualTo((int)(0x792CCC02u % 7)));

    [Test]
    public void The_queue_name_is_zero_padded() =>
        Assert.That(ShardAddressing.QueueName(7), Is.EqualTo("tgfleet.shard.007"));

    [Test]
    public void An_empty_account_id_is_rejected() =>
        Assert.That(() => ShardAddressing.ShardOf(""), Throws.ArgumentException);

    [Test]
    public void Every_per_account_type_names_its_account_and_nothing_else_does()
    {
        foreach (var type in ShardSending.PerAccountTypes)
        {
            var message = System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(type);
            type.GetProperty("AccountId")!.SetValue(message, "acct-7");
            Assert.That(ShardSending.AccountIdOf(message), Is.EqualTo("acct-7"), type.Name);
        }

        Assert.That(() => ShardSending.AccountIdOf(new TgFleet.Contracts.Queries.ListAccounts(Guid.NewGuid())), Throws.ArgumentException);
    }
}
