using System.ComponentModel.DataAnnotations;

namespace TgFleet.Worker.Accounts;

/// <summary>Which TDLib the worker runs its clients on.</summary>
public enum TelegramBackend
{
    /// <summary>The real libtdjson (native/tdlib/lib).</summary>
    LibTdJson = 1,

    /// <summary>The Telegram simulator (docs/simulator.md), at <see cref="TelegramOptions.SimulatorUri"/>.</summary>
    Simulator = 2,
}

/// <summary>
/// The worker's Telegram settings (section <c>Telegram</c>), validated at start by
/// <see cref="TdlibClients.AddTdlibClients"/> (every problem at once, each naming its setting).
/// </summary>
public sealed class TelegramOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Telegram";

    /// <summary>The application's api_id from my.telegram.org.</summary>
    [Range(1, int.MaxValue, ErrorMessage = "Telegram:ApiId is required (the api_id from https://my.telegram.org).")]
    public int ApiId { get; set; }

    /// <summary>The application's api_hash from my.telegram.org (a secret: never logged).</summary>
    [Required(ErrorMessage = "Telegram:ApiHash is required (the api_hash from https://my.telegram.org).")]
    public string ApiHash { get; set; } = string.Empty;

    /// <summary>Where each account's TDLib database directory lives (one subdirectory per account).</summary>
    public string DataDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "tgfleet-accounts");

    /// <summary>libtdjson or the simulator.</summary>
    public TelegramBackend Backend { get; set; } = TelegramBackend.LibTdJson;

    /// <summary>The simulator's backend WebSocket (<c>ws://127.0.0.1:PORT/backend</c>); required with <see cref="TelegramBackend.Simulator"/>.</summary>
    public Uri? SimulatorUri { get; set; }

    /// <summary>How long one login step may wait for TDLib (offline it waits forever); default 30 s.</summary>
    public TimeSpan LoginStepTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The device model TDLib reports to Telegram.</summary>
    public string DeviceModel { get; set; } = "TgFleet";
}
