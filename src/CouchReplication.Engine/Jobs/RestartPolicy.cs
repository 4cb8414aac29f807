using Polly;
using Polly.Retry;

namespace CouchReplication.Jobs;

/// <summary>
/// When a crashed job runs again: after a delay that doubles up to a limit, a continuous job for
/// as long as it is not stopped, a one-shot job a few times. Built on Polly, as request retries are.
/// </summary>
internal static class RestartPolicy
{
    /// <summary>
    /// Restarts a job whose run failed in a way <paramref name="restartable"/> accepts, after
    /// <paramref name="first"/>, doubling up to <paramref name="max"/>, at most
    /// <paramref name="maxRestarts"/> times, until it succeeds, fails otherwise, or is cancelled.
    /// <paramref name="crashed"/> hears of each failure with the delay before the restart.
    /// </summary>
    public static ResiliencePipeline<T> For<T>(TimeSpan first, TimeSpan max, int maxRestarts, Func<Exception, bool> restartable,
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
