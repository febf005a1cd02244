using System.Collections.Concurrent;
using System.Diagnostics;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;

namespace TgFleet.Demo;

/// <summary>The fleet's events as the demo receives them: printed at once, kept for the scenario to wait on.</summary>
internal sealed class DemoEvents
{
    private const string Source = "events";
    private readonly ConcurrentQueue<(object Message, long At)> _seen = new();

    /// <summary>A point in time to wait for events after.</summary>
    public static long Mark() => Stopwatch.GetTimestamp();

    public Task Show(object message)
    {
        _seen.Enqueue((message, Stopwatch.GetTimestamp()));
        // Events carry account ids, never phones; message text is not shown, only its length.
        var line = message switch
        {
            AuthenticationStateChanged e => $"{e.AccountId}: AuthenticationStateChanged {e.State}"
                + (e.CodeDelivery is null ? string.Empty : $" (code by {e.CodeDelivery})") + (e.Reason is null ? string.Empty : $" {e.Reason}"),
            AccountStatusChanged e => $"{e.AccountId}: AccountStatusChanged {e.Status}" + (e.Reason is null ? string.Empty : $" {e.Reason}"),
            CommandRejected e => $"{e.AccountId}: CommandRejected {e.Command} {e.Field} {e.Reason} (command {Scenario.Short(e.CommandId)})",
            MessageSent e => $"{e.AccountId}: MessageSent chat {e.ChatId} message {e.MessageId} (command {Scenario.Short(e.CommandId)})",
            MessageFailed e => $"{e.AccountId}: MessageFailed {e.Reason}{(e.Permanent ? " permanent" : string.Empty)}"
                + (e.RetryAfter is { } retry ? $" retry after {retry:HH:mm:ss}" : string.Empty) + $" (command {Scenario.Short(e.CommandId)})",
            IncomingMessageReceived e => $"{e.AccountId}: IncomingMessageReceived from user {e.SenderUserId} ({e.Text.Length} characters)",
            _ => message.GetType().Name,
        };
        ChildProcess.Say(Source, line, ConsoleColor.DarkYellow);
        return Task.CompletedTask;
    }

    /// <summary>Whether a MessageSent, MessageFailed or CommandRejected for <paramref name="commandId"/> arrived after <paramref name="since"/>.</summary>
    public bool Answered(Guid commandId, long since) => _seen.Any(e => e.At >= since && e.Message switch
    {
        MessageSent m => m.CommandId == commandId,
        MessageFailed m => m.CommandId == commandId,
        CommandRejected m => m.CommandId == commandId,
        _ => false,
    });

    public Task WaitForLoginAsync(string accountId, AuthenticationState state, long since, TimeSpan deadline, CancellationToken stop) =>
        WaitAsync(e => e is AuthenticationStateChanged m && m.AccountId == accountId && m.State == state, since, deadline,
            $"{accountId} did not reach {state}", stop);

    public Task WaitForStatusAsync(string accountId, AccountStatus status, long since, TimeSpan deadline, CancellationToken stop) =>
        WaitAsync(e => e is AccountStatusChanged m && m.AccountId == accountId && m.Status == status, since, deadline,
            $"{accountId} did not become {status}", stop);

    private async Task WaitAsync(Func<object, bool> match, long since, TimeSpan deadline, string what, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        while (!_seen.Any(e => e.At >= since && match(e.Message)))
        {
            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"{what} within {deadline.TotalSeconds:0} s");
            }

            await Task.Delay(100, stop);
        }
    }
}
