using Polly;
using Polly.Retry;
using TgFleet.Tdlib;

namespace TgFleet.Worker.Messaging;

/// <summary>
/// The recipient look-ups' resilience pipeline, registered once by key (<see cref="Pipeline"/>)
/// and shared by every account: retries on transient TDLib errors (timeouts, 5xx other than an
/// aborted request) with jittered exponential backoff (<c>Sending:LookupAttempts</c>,
/// <c>Sending:LookupBackoff</c>).
/// </summary>
public static class RecipientLookups
{
    /// <summary>The pipeline's key in the resilience pipeline registry.</summary>
    public const string Pipeline = "tdlib-lookup";

    /// <summary>Adds the look-up strategies per <paramref name="sending"/> to <paramref name="builder"/>.</summary>
    public static ResiliencePipelineBuilder Configure(ResiliencePipelineBuilder builder, SendingOptions sending)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(sending);
        return sending.LookupAttempts < 2 ? builder : builder.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<TimeoutException>().Handle<TdException>(e => e.Code >= 500 && e.TdlibMessage != "Request aborted"),
            MaxRetryAttempts = sending.LookupAttempts - 1,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = sending.LookupBackoff,
        });
    }
}
