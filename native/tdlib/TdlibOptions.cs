using System.ComponentModel.DataAnnotations;

namespace TgFleet.Tdlib;

/// <summary>Settings of the binding (configuration section <c>Tdlib</c>).</summary>
public sealed class TdlibOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Tdlib";

    /// <summary>
    /// Run even when the library's <c>version</c> differs from the schema the types were generated
    /// from (logged as a warning). Off by default: a mismatch fails at start.
    /// </summary>
    public bool AllowVersionMismatch { get; set; }

    /// <summary>TDLib's own log verbosity routed to ILogger: 0 fatal, 1 errors, 2 warnings (default), 3 info, 4 debug, 5 verbose.</summary>
    [Range(0, 1024)]
    public int LogVerbosityLevel { get; set; } = 2;

    /// <summary>How long one td_receive call waits; bounds how quickly the receive loop notices it must stop.</summary>
    public TimeSpan ReceivePollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Undelivered updates of one client above which a warning is logged (then at every doubling). Nothing is dropped.</summary>
    [Range(1, int.MaxValue)]
    public int UpdateBacklogWarning { get; set; } = 10_000;

    /// <summary>How long disposing a client waits for <c>authorizationStateClosed</c>.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
