using System.Diagnostics;
using TgFleet.Tdlib.Api;

namespace TgFleet.Tdlib;

/// <summary>A request waiting for the object whose <c>@extra</c> is its id.</summary>
internal interface IPendingRequest
{
    int ClientId { get; }

    void Complete(TdObject response);

    void Fail(Exception exception);
}

/// <summary>One allocation per request: the completion source is the pending entry itself.</summary>
internal sealed class PendingRequest<TResult>(TdClientManager manager, int clientId, long extra)
    : TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously), IPendingRequest
    where TResult : TdObject
{
    private CancellationTokenRegistration _cancellation;

    public int ClientId => clientId;

    /// <summary>The request's span, when one is recorded.</summary>
    public Activity? Activity { get; set; }

    public void Complete(TdObject response)
    {
        _cancellation.Unregister();
        if (Activity is { } activity)
        {
            if (response is Error failure)
            {
                activity.SetStatus(ActivityStatusCode.Error, failure.Message).SetTag("tdlib.error.code", failure.Code);
            }

            activity.Dispose();
        }

        switch (response)
        {
            case TResult result:
                TrySetResult(result);
                break;
            case Error error:
                TrySetException(new TdException(error.Code, error.Message));
                break;
            case UnknownObject unknown:
                TrySetException(new TdException($"TDLib answered with an object of unknown type {unknown.Type}: {unknown.RawJson}"));
                break;
            default:
                TrySetException(new TdException($"TDLib answered with {response.TdType}, expected {typeof(TResult).Name}."));
                break;
        }
    }

    public void Fail(Exception exception)
    {
        _cancellation.Unregister();
        Activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name).Dispose();
        TrySetException(exception);
    }

    public void CancelOn(CancellationToken cancellationToken) =>
        _cancellation = cancellationToken.UnsafeRegister(
            static (state, token) =>
            {
                var self = (PendingRequest<TResult>)state!;
                if (self.Manager.Forget(self.Extra))
                {
                    self.Activity?.SetStatus(ActivityStatusCode.Error, "cancelled").Dispose();
                    self.TrySetCanceled(token);
                }
            },
            this);

    private TdClientManager Manager => manager;

    private long Extra => extra;
}
