using Polly;
using Polly.Retry;

namespace CouchReplication.Http;

/// <summary>
/// Every retry and backoff of the engine, built on Polly: per request (retries_per_request,
/// 0.25 s doubling up to 5 minutes, Retry-After honoured) and per job (a crashed replication
/// restarts after a delay that doubles up to a limit: a continuous one for as long as it is not
/// stopped, a one-shot one a few times).
/// </summary>
internal static class Backoff
{
    /// <summary>
    /// Retries an operation that failed transiently (a <see cref="CouchReplicationException"/>
    /// marked transient, or what <paramref name="alsoTransient"/> accepts) up to
    /// retries_per_request times.
    /// </summary>
    public static ResiliencePipeline PerRequest(HttpSettings settings, Action<string> log, Func<Exception, bool>? alsoTransient = null)
    {
        if (settings.RetriesPerRequest == 0) return ResiliencePipeline.Empty;
        return new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = settings.RetriesPerRequest,
            BackoffType = DelayBackoffType.Exponential,
            Delay = settings.FirstRetryDelay,
            MaxDelay = settings.MaxRetryDelay,
            UseJitter = false,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is CouchReplicationException { IsTransient: true }
                || (args.Outcome.Exception is { } other && alsoTransient?.Invoke(other) == true)),
            DelayGenerator = args => ValueTask.FromResult(
                args.Outcome.Exception is CouchReplicationException { RetryAfter: { } after }
                    ? (TimeSpan?)(after < settings.MaxRetryDelay ? after : settings.MaxRetryDelay)
                    : null),
            OnRetry = args =>
            {
                log($"Retry {args.AttemptNumber + 1} of {settings.RetriesPerRequest} in {args.RetryDelay.TotalSeconds:0.##} s after: {args.Outcome.Exception?.Message}");
                return ValueTask.CompletedTask;
            },
        }).Build();
    }

    /// <summary>
    /// Restarts a job whose run failed in a way <paramref name="restartable"/> accepts, after
    /// <paramref name="first"/>, doubling up to <paramref name="max"/>, at most
    /// <paramref name="maxRestarts"/> times, until it succeeds, fails otherwise, or is cancelled.
    /// <paramref name="crashed"/> hears of each failure with the delay before the restart.
    /// </summary>
    public static ResiliencePipeline<T> Restarts<T>(TimeSpan first, TimeSpan max, int maxRestarts, Func<Exception, bool> restartable,
        Action<Exception, TimeSpan> crashed) => maxRestarts == 0 ? ResiliencePipeline<T>.Empty :
        new ResiliencePipelineBuilder<T>().AddRetry(new RetryStrategyOptions<T>
        {
            MaxRetryAttempts = maxRestarts,
            BackoffType = DelayBackoffType.Exponential,
            Delay = first,
            MaxDelay = max,
            UseJitter = false,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && restartable(e)),
            OnRetry = args =>
            {
                crashed(args.Outcome.Exception!, args.RetryDelay);
                return ValueTask.CompletedTask;
            },
        }).Build();
}
