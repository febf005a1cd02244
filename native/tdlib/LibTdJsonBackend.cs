using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TgFleet.Tdlib;

/// <summary>
/// <see cref="ITdJsonBackend"/> over the real libtdjson (td_create_client_id, td_send, td_receive,
/// td_execute). One per process (<see cref="Create"/>): td_receive serves every client of the
/// process. TDLib's own log goes to ILogger through td_set_log_message_callback, never to stderr.
/// </summary>
public sealed unsafe class LibTdJsonBackend : ITdJsonBackend
{
    private static readonly Lock Gate = new();
    private static LibTdJsonBackend? _instance;
    private static volatile ILogger _tdlibLogger = NullLogger.Instance;

    private LibTdJsonBackend()
    {
        TdJsonLibrary.Load();
    }

    /// <inheritdoc/>
    public string Name => "libtdjson";

    /// <summary>
    /// The process's libtdjson backend, loading the library on first use. Routes TDLib's log to
    /// <paramref name="loggerFactory"/> (category <c>TDLib</c>) up to <paramref name="logVerbosityLevel"/>
    /// (2 = warnings) and silences TDLib's stderr stream. A later call only changes the logging.
    /// </summary>
    public static LibTdJsonBackend Create(ILoggerFactory? loggerFactory = null, int logVerbosityLevel = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(logVerbosityLevel);
        lock (Gate)
        {
            var backend = _instance ??= new LibTdJsonBackend();
            TdJsonExecutor.LogConfigured();
            _tdlibLogger = loggerFactory?.CreateLogger("TDLib") ?? NullLogger.Instance;
            backend.Execute("{\"@type\":\"setLogStream\",\"log_stream\":{\"@type\":\"logStreamEmpty\"}}\0"u8);
            Span<byte> request = stackalloc byte[80];
            var length = Encoding.UTF8.GetBytes($"{{\"@type\":\"setLogVerbosityLevel\",\"new_verbosity_level\":{logVerbosityLevel}}}\0", request);
            backend.Execute(request[..length]);

            // A static [UnmanagedCallersOnly] function: nothing for the GC to collect, alive for the process.
            Interop.TdJson.SetLogMessageCallback(logVerbosityLevel, &OnLogMessage);
            return backend;
        }
    }

    /// <inheritdoc/>
    public int CreateClientId() => Interop.TdJson.CreateClientId();

    /// <inheritdoc/>
    public void Send(int clientId, ReadOnlySpan<byte> requestUtf8)
    {
        if (requestUtf8.IsEmpty || requestUtf8[^1] != 0)
        {
            throw new ArgumentException("The request must end with one NUL byte.", nameof(requestUtf8));
        }

        fixed (byte* request = requestUtf8)
        {
            Interop.TdJson.Send(clientId, request);
        }
    }

    /// <inheritdoc/>
    public ReadOnlySpan<byte> Receive(TimeSpan timeout)
    {
        var answer = Interop.TdJson.Receive(timeout.TotalSeconds);
        return answer is null ? default : MemoryMarshal.CreateReadOnlySpanFromNullTerminated(answer);
    }

    /// <inheritdoc/>
    public string? Execute(ReadOnlySpan<byte> requestUtf8)
    {
        if (requestUtf8.IsEmpty || requestUtf8[^1] != 0)
        {
            throw new ArgumentException("The request must end with one NUL byte.", nameof(requestUtf8));
        }

        fixed (byte* request = requestUtf8)
        {
            var answer = Interop.TdJson.Execute(request);
            return answer is null ? null : Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(answer));
        }
    }

    /// <summary>Called on TDLib's threads. Verbosity 0 is fatal: TDLib aborts the process after it returns.</summary>
    [UnmanagedCallersOnly]
    private static void OnLogMessage(int verbosityLevel, byte* message)
    {
        try
        {
            var logger = _tdlibLogger;
            var level = verbosityLevel switch
            {
                0 => LogLevel.Critical,
                1 => LogLevel.Error,
                2 => LogLevel.Warning,
                3 => LogLevel.Information,
                4 => LogLevel.Debug,
                _ => LogLevel.Trace,
            };
            if (message is not null && logger.IsEnabled(level))
            {
                var text = Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(message)).TrimEnd('\n');
                Log.TdlibMessage(logger, level, verbosityLevel, text);
            }
        }
#pragma warning disable CA1031 // An exception must never unwind into TDLib's native frames.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
