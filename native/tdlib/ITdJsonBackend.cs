namespace TgFleet.Tdlib;

/// <summary>
/// The TDLib JSON boundary: everything above it (client manager, typed API, worker) is the same
/// whether the objects come from the real libtdjson or from the Telegram simulator's backend.
/// The contract is td_json_client.h's: UTF-8 JSON in, UTF-8 JSON out, one receive queue for all
/// clients of the process, every received object carrying <c>@client_id</c>, responses echoing
/// the request's <c>@extra</c>.
/// </summary>
public interface ITdJsonBackend
{
    /// <summary>A short name for logs and metrics ("libtdjson", "simulator").</summary>
    string Name { get; }

    /// <summary>Creates a client (td_create_client_id). It starts on the first request sent to it.</summary>
    int CreateClientId();

    /// <summary>
    /// Sends a request to a client (td_send). <paramref name="requestUtf8"/> is the JSON text
    /// followed by one NUL byte (so libtdjson can read it in place); it is not kept after the call.
    /// Thread-safe.
    /// </summary>
    void Send(int clientId, ReadOnlySpan<byte> requestUtf8);

    /// <summary>
    /// The next object of any client (td_receive), or an empty span when none arrived within
    /// <paramref name="timeout"/>. The bytes (without NUL) are valid only until the next call; it
    /// is called from ONE thread only.
    /// </summary>
    ReadOnlySpan<byte> Receive(TimeSpan timeout);

    /// <summary>
    /// Executes a synchronous-only request (td_execute): same NUL-terminated input as
    /// <see cref="Send"/>; returns the answer's JSON, or null when the request is not synchronous.
    /// Only trusted, well-formed requests.
    /// </summary>
    string? Execute(ReadOnlySpan<byte> requestUtf8);
}
