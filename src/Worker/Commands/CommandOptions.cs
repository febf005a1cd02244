using System.ComponentModel.DataAnnotations;

namespace TgFleet.Worker.Commands;

/// <summary>How many commands a worker runs at once (section <c>Commands</c>); see docs/messaging.md.</summary>
public sealed class CommandOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Commands";

    /// <summary>
    /// Deliveries a shard endpoint holds unacknowledged (RabbitMQ prefetch), each dispatched at once
    /// into its account's lane (default 128). An account with more commands queued than this holds
    /// the whole window, so the shard's other accounts wait for it: keep it well above one account's
    /// usual backlog.
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "Commands:ShardWindow must be between 1 and 10000.")]
    public int ShardWindow { get; set; } = 128;

    /// <summary>
    /// Commands of different accounts that run at once on this worker, over all of its shards
    /// (default 1024). A command beyond it waits for a slot; commands waiting in their account's lane
    /// for the account's earlier command do not take one.
    /// </summary>
    [Range(1, 100_000, ErrorMessage = "Commands:MaxRunning must be between 1 and 100000.")]
    public int MaxRunning { get; set; } = 1024;
}
