using System.Runtime.InteropServices;
using System.Text;

namespace TgFleet.Tdlib;

/// <summary>
/// td_execute for the synchronous-only requests (getOption, setLogVerbosityLevel, setLogStream, …).
/// Only trusted, well-formed requests: TDLib crashes on some malformed synchronous ones.
/// Unless <see cref="LibTdJsonBackend.Create"/> configured TDLib's log, the first call silences it:
/// at its default verbosity TDLib writes every static request, text included, to stderr.
/// </summary>
public static class TdJsonExecutor
{
    private static int _logQuieted;

    /// <summary>Set once TDLib's log has been configured (by <see cref="LibTdJsonBackend.Create"/>).</summary>
    internal static void LogConfigured() => Volatile.Write(ref _logQuieted, 1);

    /// <summary>Executes <paramref name="requestJson"/> and returns TDLib's JSON answer.</summary>
    public static string Execute(string requestJson)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestJson);
        TdJsonLibrary.Load();
        if (Interlocked.Exchange(ref _logQuieted, 1) == 0)
        {
            Run("{\"@type\":\"setLogStream\",\"log_stream\":{\"@type\":\"logStreamEmpty\"}}");
            Run("{\"@type\":\"setLogVerbosityLevel\",\"new_verbosity_level\":1}");
        }

        return Run(requestJson);
    }

    private static unsafe string Run(string requestJson)
    {
        var length = Encoding.UTF8.GetByteCount(requestJson);
        var buffer = length < 1024 ? stackalloc byte[length + 1] : new byte[length + 1];
        Encoding.UTF8.GetBytes(requestJson, buffer);
        buffer[length] = 0;
        fixed (byte* request = buffer)
        {
            var answer = Interop.TdJson.Execute(request);
            return answer is null
                ? throw new InvalidOperationException("td_execute returned no answer (the request is not a synchronous one).")
                : Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(answer));
        }
    }
}
