using System.Runtime.InteropServices;

namespace TgFleet.Tdlib;

internal static partial class Interop
{
    /// <summary>td/telegram/td_json_client.h: the client-id API (not the deprecated td_json_client_*).</summary>
    internal static unsafe partial class TdJson
    {
        /// <summary>Creates a client lazily: it starts when the first request is sent to it.</summary>
        [LibraryImport(Libraries.TdJson, EntryPoint = "td_create_client_id")]
        internal static partial int CreateClientId();

        /// <summary>Sends a NUL-terminated UTF-8 JSON request; the answer comes through <see cref="Receive"/>.</summary>
        [LibraryImport(Libraries.TdJson, EntryPoint = "td_send")]
        internal static partial void Send(int clientId, byte* requestUtf8);

        /// <summary>
        /// The next object of any client, or null after the timeout. The pointer is TDLib's and
        /// valid only until the next call: one thread calls this and reads it at once.
        /// </summary>
        [LibraryImport(Libraries.TdJson, EntryPoint = "td_receive")]
        internal static partial byte* Receive(double timeoutSeconds);

        /// <summary>Executes a synchronous-only request (never untrusted JSON: some malformed ones crash TDLib).</summary>
        [LibraryImport(Libraries.TdJson, EntryPoint = "td_execute")]
        internal static partial byte* Execute(byte* requestUtf8);

        /// <summary>Routes TDLib's log to a callback called on TDLib's threads.</summary>
        [LibraryImport(Libraries.TdJson, EntryPoint = "td_set_log_message_callback")]
        internal static partial void SetLogMessageCallback(int maxVerbosityLevel, delegate* unmanaged<int, byte*, void> callback);
    }
}
