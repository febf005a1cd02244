using Microsoft.Extensions.Logging;

namespace TgFleet.Tdlib;

/// <summary>Event ids of the binding: the 3000s (CONVENTIONS.md §6: a range per area).</summary>
internal static class EventIds
{
    internal const int TdlibMessage = 3000;
    internal const int ReceiveFailed = 3001;
    internal const int MalformedObject = 3002;
    internal const int UnknownObject = 3003;
    internal const int UpdateBacklog = 3004;
    internal const int OrphanObject = 3005;
    internal const int ClientClosed = 3006;
    internal const int VersionMismatchAllowed = 3007;
    internal const int CloseTimedOut = 3008;
}

/// <summary>Every log line of the binding, source-generated (CA1848).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = EventIds.TdlibMessage, Message = "TDLib [{Verbosity}] {TdlibMessage}")]
    internal static partial void TdlibMessage(ILogger logger, LogLevel level, int verbosity, string tdlibMessage);

    [LoggerMessage(EventId = EventIds.ReceiveFailed, Level = LogLevel.Error, Message = "The TDLib receive loop failed on one object; it goes on")]
    internal static partial void ReceiveFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = EventIds.MalformedObject, Level = LogLevel.Error, Message = "Received malformed JSON from {Backend} ({Length} bytes); skipped")]
    internal static partial void MalformedObject(ILogger logger, Exception exception, string backend, int length);

    [LoggerMessage(EventId = EventIds.UnknownObject, Level = LogLevel.Warning, Message = "Client {ClientId} received an object of unknown type {Type} (a newer TDLib?); delivered as UnknownObject")]
    internal static partial void UnknownObject(ILogger logger, int clientId, string type);

    [LoggerMessage(EventId = EventIds.UpdateBacklog, Level = LogLevel.Warning, Message = "Client {ClientId} has {Count} undelivered updates: its consumer is slower than TDLib")]
    internal static partial void UpdateBacklog(ILogger logger, int clientId, int count);

    [LoggerMessage(EventId = EventIds.OrphanObject, Level = LogLevel.Debug, Message = "Dropped {Type} for client {ClientId} with @extra {Extra}: no request waits for it (cancelled or timed out)")]
    internal static partial void OrphanObject(ILogger logger, string type, int clientId, long? extra);

    [LoggerMessage(EventId = EventIds.ClientClosed, Level = LogLevel.Debug, Message = "Client {ClientId} closed")]
    internal static partial void ClientClosed(ILogger logger, int clientId);

    [LoggerMessage(EventId = EventIds.VersionMismatchAllowed, Level = LogLevel.Warning, Message = "{Backend} reports TDLib {LibraryVersion}, the types were generated from {SchemaVersion}; running anyway (AllowVersionMismatch)")]
    internal static partial void VersionMismatchAllowed(ILogger logger, string backend, string libraryVersion, string schemaVersion);

    [LoggerMessage(EventId = EventIds.CloseTimedOut, Level = LogLevel.Warning, Message = "Client {ClientId} did not reach authorizationStateClosed within {Timeout}")]
    internal static partial void CloseTimedOut(ILogger logger, int clientId, TimeSpan timeout);
}
