namespace TgFleet.Contracts.Addressing;

/// <summary>
/// Where fleet-wide queries go: those not tied to one account (<c>ListAccounts</c>). Any worker
/// answers them from one shared durable quorum queue, <c>tgfleet.queries</c>. Per-account queries
/// (<c>GetAccount</c>, <c>GetMe</c>, <c>GetChats</c>, <c>SearchContacts</c>) go to their account's
/// shard like commands: <see cref="ShardSending.ShardAddress"/>.
/// </summary>
public static class QueryAddressing
{
    /// <summary>The name of the queries queue and of the exchange bound to it.</summary>
    public const string QueueName = "tgfleet.queries";

    /// <summary>
    /// The address to send fleet-wide queries to, e.g.
    /// <c>bus.CreateRequestClient&lt;ListAccounts&gt;(QueryAddressing.Address)</c>. An exchange, not
    /// <c>queue:</c>: a <c>queue:</c> send would declare a classic queue, which RabbitMQ refuses once
    /// the quorum queue exists (inequivalent x-queue-type).
    /// </summary>
    public static Uri Address { get; } = new("exchange:" + QueueName);

    /// <summary>Every fleet-wide query with the type that answers it (a refusal is answered with <c>CommandRejected</c>).</summary>
    public static IReadOnlyList<(Type Query, Type Response)> Queries { get; } = [(typeof(Queries.ListAccounts), typeof(Queries.AccountList))];
}
