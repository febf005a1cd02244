using System.Runtime.InteropServices;
using System.Text;

namespace TgFleet.Tdlib;

/// <summary>
/// td_execute for the synchronous-only requests (getOption, setLogVerbosityLevel, setLogStream, …).
/// Only trusted, well-formed requests: TDLib crashes on some malformed synchronous ones.
/// </summary>
public static class TdJsonExecutor
{
    /// <summary>Executes <paramref name="requestJson"/> and returns TDLib's JSON answer.</summary>
    public static unsafe string Execute(string requestJson)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestJson);
        TdJsonLibrary.Load();
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
