using MassTransit;
using NUnit.Framework;
using TgFleet.Contracts.Addressing;
using TgFleet.Worker;

namespace TgFleet.Tests.Worker;

[TestFixture, Category("Worker")]
public sealed class When_the_shard_consumers_are_listed
{
    [Test]
    public void Every_message_sent_to_a_shard_has_a_consumer_there_and_no_other_is_consumed()
    {
        var consumers = WorkerConsumers.ShardCommandConsumers;
        var consumed = consumers
            .SelectMany(c => c.GetInterfaces())
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
            .Select(i => i.GetGenericArguments()[0])
            .ToList();

        // A type without a consumer would land in the shard's _skipped queue unanswered.
        Assert.That(consumed, Is.EquivalentTo(ShardSending.PerAccountTypes));
    }
}
