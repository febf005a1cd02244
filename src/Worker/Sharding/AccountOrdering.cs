using System.Security.Cryptography;
using System.Text;
using MassTransit;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Contracts.Queries;

namespace TgFleet.Worker.Sharding;

/// <summary>
/// Commands for one account run in order, one at a time; different accounts run concurrently.
/// Every per-account command type of a shard endpoint goes through ONE partitioner keyed by the
/// account id, so even an Authenticate and a SendMessage for the same account never overlap.
/// </summary>
public static class AccountOrdering
{
    /// <summary>Partitions of a shard endpoint: accounts that run concurrently at most.</summary>
    public const int DefaultPartitions = 16;

    /// <summary>Adds the account partitioner to a shard endpoint (before its consumers).</summary>
    public static void PartitionByAccount(this IReceiveEndpointConfigurator endpoint, int partitions = DefaultPartitions)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var partitioner = endpoint.CreatePartitioner(partitions);
        endpoint.UsePartitioner<Authenticate>(partitioner, c => Key(c.Message.AccountId));
        endpoint.UsePartitioner<SubmitAuthenticationCode>(partitioner, c => Key(c.Message.AccountId));
        endpoint.UsePartitioner<SubmitAuthenticationPassword>(partitioner, c => Key(c.Message.AccountId));
        endpoint.UsePartitioner<LogOut>(partitioner, c => Key(c.Message.AccountId));
        endpoint.UsePartitioner<RemoveAccount>(partitioner, c => Key(c.Message.AccountId));
        endpoint.UsePartitioner<SetAccountProxy>(partitioner, c => Key(c.Message.AccountId));
        endpoint.UsePartitioner<ClearAccountProxy>(partitioner, c => Key(c.Message.AccountId));
        endpoint.UsePartitioner<SendMessage>(partitioner, c => Key(c.Message.AccountId));
        endpoint.UsePartitioner<GetAccount>(partitioner, c => Key(c.Message.AccountId));
        endpoint.UsePartitioner<GetMe>(partitioner, c => Key(c.Message.AccountId));
        endpoint.UsePartitioner<GetChats>(partitioner, c => Key(c.Message.AccountId));
        endpoint.UsePartitioner<SearchContacts>(partitioner, c => Key(c.Message.AccountId));
    }

    /// <summary>A stable key for an account id (missing ids share one key; validation rejects them).</summary>
    public static Guid Key(string? accountId) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes(accountId ?? string.Empty)).AsSpan(0, 16));
}
