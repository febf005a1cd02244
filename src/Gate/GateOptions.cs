using System.ComponentModel.DataAnnotations;

namespace TgFleet.Gate;

/// <summary>How a worker's TDLib connections leave: through which gate, if any.</summary>
public enum GateMode
{
    /// <summary>The worker starts its own gate as a child process (the default; locally and in the demo).</summary>
    Child = 1,

    /// <summary>The gate runs beside the worker on its own (the pod's sidecar) at <see cref="GateOptions.Host"/>:<see cref="GateOptions.Port"/>.</summary>
    External = 2,

    /// <summary>No gate: TDLib connects directly. Not protected against a paused worker (docs/fencing.md).</summary>
    Off = 3,
}

/// <summary>
/// The egress gate's settings (section <c>Gate</c>). The gate also reads <c>Shards:WorkerId</c>
/// (whose leases it enforces) and <c>Shards:Count</c>, the worker's own settings.
/// </summary>
public sealed class GateOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Gate";

    /// <summary>For the worker: Child (default), External or Off.</summary>
    public GateMode Mode { get; set; } = GateMode.Child;

    /// <summary>The address the gate listens on and TDLib connects to (default 127.0.0.1).</summary>
    [Required(ErrorMessage = "Gate:Host must name an address.")]
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The gate's SOCKS5 port (0: a free one, written to its log).</summary>
    [Range(0, 65535, ErrorMessage = "Gate:Port must be a TCP port.")]
    public int Port { get; set; }

    /// <summary>How often the gate reads its worker's leases (default 500 ms).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long connecting to an upstream (the destination or the account's own proxy) may take (default 10 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A child gate whose worker is gone exits once its leases are recorded closed, or after this long (default 60 s).</summary>
    public TimeSpan OrphanTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>For the worker: how often it asks the gate again for its accounts' MTProto relays, so a restarted gate listens on them again (default 30 s).</summary>
    public TimeSpan RelayRenewInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>For the worker: the HTTP address of its child gate's <c>/metrics</c> and health (default a free loopback port).</summary>
    public string ChildUrls { get; set; } = "http://127.0.0.1:0";
}
