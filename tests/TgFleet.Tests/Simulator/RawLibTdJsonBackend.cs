using System.Runtime.InteropServices;
using TgFleet.Tdlib;

namespace TgFleet.Tests.Simulator;

/// <summary>
/// TEST-ONLY minimal ITdJsonBackend over the real libtdjson (td_create_client_id / td_send /
/// td_receive / td_execute through function pointers), so the conformance tests can run one
/// request sequence against both backends. The binding team provides the real LibTdJsonBackend;
/// replace this with it when it lands. One per process: td_receive serves every client.
/// </summary>
internal sealed unsafe class RawLibTdJsonBackend : ITdJsonBackend
{
    private static readonly Lazy<RawLibTdJsonBackend> Shared = new(() => new RawLibTdJsonBackend());
    private readonly delegate* unmanaged<int> _create;
    private readonly delegate* unmanaged<int, byte*, void> _send;
    private readonly delegate* unmanaged<double, byte*> _receive;
    private readonly delegate* unmanaged<byte*, byte*> _execute;

    private RawLibTdJsonBackend()
    {
        var handle = NativeLibrary.Load(TdJsonLibrary.ResolvedPath);
        _create = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "td_create_client_id");
        _send = (delegate* unmanaged<int, byte*, void>)NativeLibrary.GetExport(handle, "td_send");
        _receive = (delegate* unmanaged<double, byte*>)NativeLibrary.GetExport(handle, "td_receive");
        _execute = (delegate* unmanaged<byte*, byte*>)NativeLibrary.GetExport(handle, "td_execute");
        fixed (byte* quiet = "{\"@type\":\"setLogVerbosityLevel\",\"new_verbosity_level\":0}\0"u8)
        {
            _execute(quiet);
        }
    }

    public static RawLibTdJsonBackend Instance => Shared.Value;

    public static bool IsAvailable => File.Exists(TdJsonLibrary.ResolvedPath);

    public string Name => "libtdjson (raw, test-only)";

    public int CreateClientId() => _create();

    public void Send(int clientId, ReadOnlySpan<byte> requestUtf8)
    {
        fixed (byte* request = requestUtf8)
        {
            _send(clientId, request);
        }
    }

    public ReadOnlySpan<byte> Receive(TimeSpan timeout)
    {
        var answer = _receive(timeout.TotalSeconds);
        return answer is null ? [] : MemoryMarshal.CreateReadOnlySpanFromNullTerminated(answer);
    }

    public string? Execute(ReadOnlySpan<byte> requestUtf8)
    {
        fixed (byte* request = requestUtf8)
        {
            var answer = _execute(request);
            return answer is null ? null : Marshal.PtrToStringUTF8((nint)answer);
        }
    }
}
