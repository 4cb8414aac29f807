using Polly;
using Polly.Retry;
using CouchReplication.Document;

namespace CouchReplication.Http;

/// <summary>
/// Every retry of a request, built on Polly: retries_per_request, 0.25 s doubling up to 5 minutes,
/// Retry-After honoured. A crashed job's restarts are the job's own (Jobs/RestartPolicy).
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
}
