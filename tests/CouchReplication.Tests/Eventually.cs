namespace CouchReplication.Tests;

/// <summary>Waits for what a server does in its own time: replications, schedulers, indexers.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails saying <paramref name="what"/> never happened after <paramref name="limit"/> (default <see cref="Limit"/>).</summary>
    public static async Task HappensAsync(Func<Task<bool>> condition, string what, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? Limit);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Never happened: " + what);
            await Task.Delay(20);
        }
    }
}
