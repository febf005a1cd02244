using System.Net.Sockets;
using MassTransit;
using Npgsql;

namespace TgFleet.Worker.Commands;

/// <summary>
/// THE one place that tells an infrastructure failure (retried) from a failure of the command
/// (answered, then the <c>_error</c> queue): docs/messaging.md, "Transient or final".
/// </summary>
public static class TransientFailure
{
    /// <summary>
    /// True for a failure of the database, the broker or a closing TDLib client, which says nothing
    /// about the command: PostgreSQL unreachable, restarting or shutting down (57P01-57P03, class
    /// 08), too many connections (53300), a serialization failure or deadlock (40001, 40P01), a
    /// socket or I/O failure under Npgsql, the broker's transport unavailable, a TDLib client closed
    /// under the command.
    /// </summary>
    public static bool Is(Exception exception) => exception switch
    {
        null => false,
        PostgresException p => p.SqlState is "57P01" or "57P02" or "57P03" or "53300" or "40001" or "40P01" || p.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException n => n.IsTransient || n.InnerException is SocketException or IOException or TimeoutException,
        TransportUnavailableException or ConnectionException => true,
        ObjectDisposedException => true,
        AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(Is),
        _ => exception.InnerException is { } inner && Is(inner),
    };
}
