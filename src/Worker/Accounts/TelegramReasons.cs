using System.Globalization;
using System.Text.RegularExpressions;
using TgFleet.Tdlib;

namespace TgFleet.Worker.Accounts;

/// <summary>Machine-readable reasons for TDLib's errors, as events and rejections carry them.</summary>
public static partial class TelegramReasons
{
    /// <summary>
    /// The reason for an error answering a login step or a send: an UPPER_SNAKE message as is,
    /// 429 → <c>FLOOD_WAIT_N</c>, an "unexpected" step <c>LOGIN_STEP_UNEXPECTED</c>, anything else
    /// <c>TDLIB_ERROR_&lt;code&gt;</c>.
    /// </summary>
    public static string Of(TdException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Known(error) ?? (error.TdlibMessage.Contains("unexpected", StringComparison.OrdinalIgnoreCase) ? "LOGIN_STEP_UNEXPECTED" : "TDLIB_ERROR_" + error.Code);
    }

    /// <summary>
    /// The reason for an error answering a query: an UPPER_SNAKE message as is
    /// (<c>AUTH_KEY_DUPLICATED</c>, <c>USER_DEACTIVATED_BAN</c>), 429 → <c>FLOOD_WAIT_N</c>,
    /// anything else <c>TDLIB_ERROR_&lt;code&gt;</c> (the text goes to the rejection's detail).
    /// </summary>
    public static string OfQuery(TdException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Known(error) ?? "TDLIB_ERROR_" + error.Code;
    }

    /// <summary>Telegram's flood control: the reason of a refusal or failure that asks the account to wait.</summary>
    public const string FloodWait = "FLOOD_WAIT";

    /// <summary>Whether <paramref name="reason"/> is <see cref="FloodWait"/>, with or without its seconds (<c>FLOOD_WAIT_N</c>).</summary>
    public static bool IsFloodWait(string reason) =>
        reason is not null && reason.StartsWith(FloodWait, StringComparison.Ordinal) && (reason.Length == FloodWait.Length || reason[FloodWait.Length] == '_');

    /// <summary>The N of a <c>FLOOD_WAIT_N</c> reason; null for a bare <see cref="FloodWait"/> or another reason.</summary>
    public static int? FloodWaitSeconds(string reason) =>
        IsFloodWait(reason) && reason.Length > FloodWait.Length
        && int.TryParse(reason.AsSpan(FloodWait.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds : null;

    private static string? Known(TdException error)
    {
        if (error.Code == 429)
        {
            var seconds = RetryAfter().Match(error.TdlibMessage);
            return seconds.Success ? FloodWait + "_" + seconds.Groups[1].Value : FloodWait;
        }

        return MachineReadable().IsMatch(error.TdlibMessage) ? error.TdlibMessage : null;
    }

    [GeneratedRegex(@"retry after (\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex RetryAfter();

    [GeneratedRegex("^[A-Z][A-Z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex MachineReadable();
}
