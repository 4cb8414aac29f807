namespace CouchReplication.Tests;

/// <summary>Waits for what a server does in its own time: replications, schedulers, indexers.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    public static async Task HappensAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Never happened: " + what);
            await Task.Delay(20);
        }
    }
}
