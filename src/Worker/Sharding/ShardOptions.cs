using System.ComponentModel.DataAnnotations;
using TgFleet.Contracts.Addressing;

namespace TgFleet.Worker.Sharding;

/// <summary>Shard ownership settings (section <c>Shards</c>).</summary>
public sealed class ShardOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Shards";

    /// <summary>Virtual shards of the fleet; the same for every worker and publisher (default 64).</summary>
    [Range(1, 1000, ErrorMessage = "Shards:Count must be between 1 and 1000.")]
    public int Count { get; set; } = ShardAddressing.DefaultShardCount;

    /// <summary>How long a lease lives without renewal (default 15 s).</summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often leases are renewed and the fair share recomputed (default 5 s).</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A worker that could not renew stops a shard this long before the lease could expire
    /// (self-fencing), so that its clients are closed before a successor may start them (default 3 s).
    /// </summary>
    public TimeSpan FenceMargin { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long Telegram may keep a silent connection of a previous owner alive: the next owner of
    /// an EXPIRED lease whose connections its gate did not record closed waits this long after the
    /// expiry before starting the shard's accounts (docs/fencing.md). Default 150 s: TDLib's
    /// ping_disconnect_delay for a connection that is not "online" (135 s plus a random delay)
    /// with a margin.
    /// </summary>
    public TimeSpan DisconnectDelay { get; set; } = TimeSpan.FromSeconds(150);

    /// <summary>This worker's id (default: host name, pid and a random suffix).</summary>
    public string? WorkerId { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DisconnectDelay < TimeSpan.Zero)
        {
            yield return new ValidationResult("Shards:DisconnectDelay must not be negative.");
        }

        if (LeaseTtl <= TimeSpan.Zero || RenewInterval <= TimeSpan.Zero || FenceMargin <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Shards:LeaseTtl, Shards:RenewInterval and Shards:FenceMargin must be positive.");
        }
        else if (RenewInterval + FenceMargin >= LeaseTtl)
        {
            yield return new ValidationResult(
                $"Shards:RenewInterval ({RenewInterval}) plus Shards:FenceMargin ({FenceMargin}) must be shorter than Shards:LeaseTtl ({LeaseTtl}), or a healthy worker would fence itself.");
        }
    }
}
