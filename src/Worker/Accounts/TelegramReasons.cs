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

    private static string? Known(TdException error)
    {
        if (error.Code == 429)
        {
            var seconds = RetryAfter().Match(error.TdlibMessage);
            return seconds.Success ? "FLOOD_WAIT_" + seconds.Groups[1].Value : "FLOOD_WAIT";
        }

        return MachineReadable().IsMatch(error.TdlibMessage) ? error.TdlibMessage : null;
    }

    [GeneratedRegex(@"retry after (\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex RetryAfter();

    [GeneratedRegex("^[A-Z][A-Z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex MachineReadable();
}
