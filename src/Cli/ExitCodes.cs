using TgFleet.Contracts.Accounts;

namespace TgFleet.Cli;

/// <summary>tgfleet's exit codes (docs/cli.md): one per kind of failure, so that scripts can tell them apart.</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>The fleet answered, and the answer is a failure (MessageFailed, a failed login, a summary that does not match).</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong (nothing was sent).</summary>
    public const int Usage = 2;

    /// <summary>RabbitMQ could not be reached (or refused the connection).</summary>
    public const int BrokerUnreachable = 3;

    /// <summary>PostgreSQL could not be reached (or refused the connection).</summary>
    public const int DatabaseUnreachable = 4;

    /// <summary>The fleet does not run the account (<c>ACCOUNT_UNKNOWN</c>).</summary>
    public const int UnknownAccount = 5;

    /// <summary>The fleet rejected the command (<c>CommandRejected</c>: a field and a reason; "not now" ones too, e.g. <c>ACCOUNT_NOT_READY</c>).</summary>
    public const int Rejected = 6;

    /// <summary>No answer within <c>--timeout</c>.</summary>
    public const int Timeout = 7;

    /// <summary>Ctrl+C.</summary>
    public const int Interrupted = 130;
}

/// <summary>A failure tgfleet reports as ONE line on stderr and an exit code (<see cref="ExitCodes"/>).</summary>
public sealed class CliException : Exception
{
    public CliException()
        : this(ExitCodes.Failed, "failed")
    {
    }

    public CliException(string message)
        : this(ExitCodes.Failed, message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException) => ExitCode = ExitCodes.Failed;

    public CliException(int exitCode, string message)
        : base(message) => ExitCode = exitCode;

    /// <summary>The process's exit code.</summary>
    public int ExitCode { get; }

    /// <summary>
    /// The failure for a <see cref="CommandRejected"/>: an unknown account, or a field and its reason
    /// (a "not now" one, <c>Permanent = false</c>, says that trying again later may succeed).
    /// </summary>
    public static CliException Rejected(CommandRejected rejected)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        return rejected.Reason == "ACCOUNT_UNKNOWN"
            ? new CliException(ExitCodes.UnknownAccount, $"unknown account '{rejected.AccountId}': the fleet does not run it (ACCOUNT_UNKNOWN)")
            : new CliException(ExitCodes.Rejected, $"{rejected.Command} rejected: {rejected.Field} {rejected.Reason}"
                + (string.IsNullOrWhiteSpace(rejected.Detail) ? string.Empty : $" ({rejected.Detail})")
                + (rejected.Permanent ? string.Empty : "; not now: try again later"));
    }

    /// <summary>No answer to <paramref name="what"/> within <paramref name="timeout"/>.</summary>
    public static CliException TimedOut(string what, TimeSpan timeout) =>
        new(ExitCodes.Timeout, $"no answer to {what} within {timeout.TotalSeconds:0.#} s (is a worker running? see 'tgfleet workers')");
}
