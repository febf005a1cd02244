using System.Text.Json;
using MassTransit;
using TgFleet.Contracts.Accounts;

namespace TgFleet.Worker.Commands;

/// <summary>
/// The shard endpoints' error pipe: a delivery that ends in the <c>_error</c> queue is answered
/// first, so that a publisher in any language hears of it. A body that cannot be read (truncated,
/// a field of the wrong JSON type, an enum value that names nothing) → <c>CommandRejected</c>
/// <c>MESSAGE_MALFORMED</c> with the envelope's messageId, the CommandId and AccountId where they
/// could be read, and the parser's complaint; a command that failed for a reason of its own (never
/// an infrastructure failure: those are retried, <see cref="TransientFailure"/>) →
/// <c>COMMAND_FAILED</c>. Then the delivery moves to <c>_error</c> as before.
/// </summary>
public sealed partial class CommandFailureAnswers(IPublishEndpoint publisher, TimeProvider time, ILogger logger)
{
    /// <summary>Puts the answer, then MassTransit's fault and move to <c>_error</c>, on <paramref name="endpoint"/>'s error pipe.</summary>
    public void Configure(IReceiveEndpointConfigurator endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        endpoint.ConfigureError(error =>
        {
            error.UseFilter(new AnswerFilter(this));
            error.UseFilter(new MassTransit.Middleware.GenerateFaultFilter());
            error.UseFilter(new MassTransit.Middleware.ErrorTransportFilter());
        });
    }

    private ILogger Logger => logger;

    private async Task AnswerAsync(ExceptionReceiveContext context)
    {
        var malformed = IsMalformed(context.Exception);
        var (messageId, command, commandId, accountId) = Read(context);
        var reason = malformed ? "MESSAGE_MALFORMED" : "COMMAND_FAILED";
        var detail = malformed
            ? "The message could not be read: " + Complaint(context.Exception)
            : $"The command failed ({context.Exception.GetType().Name}: {context.Exception.Message}); it is in the error queue.";
        Log.Answered(logger, command, messageId, reason, context.Exception);
        await publisher.Publish(new CommandRejected(commandId ?? Guid.Empty, accountId ?? string.Empty, command, malformed ? "Message" : "Command", reason, time.GetUtcNow())
        {
            Detail = detail,
            MessageId = messageId,
        }, CancellationToken.None);
    }

    private static bool IsMalformed(Exception? exception) => exception switch
    {
        null => false,
        JsonException or System.Runtime.Serialization.SerializationException or FormatException or NotSupportedException => true,
        _ => IsMalformed(exception.InnerException),
    };

    /// <summary>The innermost parser message (System.Text.Json's names the path and position).</summary>
    private static string Complaint(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is not null && inner is not JsonException)
        {
            inner = inner.InnerException;
        }

        return inner.Message;
    }

    /// <summary>What can be read of the envelope: messageId, the command's type name, its CommandId and AccountId.</summary>
    private static (Guid? MessageId, string Command, Guid? CommandId, string? AccountId) Read(ReceiveContext context)
    {
        Guid? messageId = context.GetMessageId();
        var command = "Unknown";
        Guid? commandId = null;
        string? accountId = null;
        try
        {
            using var envelope = JsonDocument.Parse(context.Body.GetBytes());
            var root = envelope.RootElement;
            if (Property(root, "messageId") is { ValueKind: JsonValueKind.String } id && Guid.TryParse(id.GetString(), out var parsed))
            {
                messageId = parsed;
            }

            if (Property(root, "messageType") is { ValueKind: JsonValueKind.Array } types && types.GetArrayLength() > 0 && types[0].GetString() is { } urn)
            {
                command = urn[(urn.LastIndexOf(':') + 1)..];
            }

            if (Property(root, "message") is { ValueKind: JsonValueKind.Object } message)
            {
                if (Property(message, "commandId") is { ValueKind: JsonValueKind.String } c && Guid.TryParse(c.GetString(), out var cid))
                {
                    commandId = cid;
                }

                if (Property(message, "accountId") is { ValueKind: JsonValueKind.String } a)
                {
                    accountId = a.GetString();
                }
            }
        }
        catch (JsonException)
        {
            // Not even the envelope parses (truncated): the transport's messageId is what there is.
        }

        return (messageId, command, commandId, accountId);
    }

    private static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    private sealed class AnswerFilter(CommandFailureAnswers answers) : IFilter<ExceptionReceiveContext>
    {
        public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
        {
            try
            {
                await answers.AnswerAsync(context);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The move to _error must happen whatever the answer did.
                Log.AnswerFailed(answers.Logger, e);
            }

            await next.Send(context);
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("answerFailure");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.CommandUnreadable, Level = LogLevel.Warning, Message = "{Command} (message {MessageId}) goes to the error queue, answered {Reason}")]
        internal static partial void Answered(ILogger logger, string command, Guid? messageId, string reason, Exception error);

        [LoggerMessage(EventId = EventIds.CommandAnswerFailed, Level = LogLevel.Error, Message = "A delivery bound for the error queue could not be answered")]
        internal static partial void AnswerFailed(ILogger logger, Exception error);
    }
}
