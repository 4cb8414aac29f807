using CouchReplication.Jobs;

namespace CouchReplication.Tests;

/// <summary>The scheduler on its own: turns, order, leaving the queue, and each server's limit following its health.</summary>
public sealed class SchedulerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task No_more_than_MaxJobs_run_and_the_rest_wait_in_order()
    {
        var scheduler = new ReplicationScheduler { MaxJobs = 2 };
        var jobs = Enumerable.Range(0, 5).Select(i => new object()).ToArray();
        var turns = jobs.Select(job => scheduler.WaitTurnAsync(job, ["http://a:5984"], CancellationToken.None)).ToArray();

        var first = await Task.WhenAll(turns[0], turns[1]).WaitAsync(Limit);
        Assert.All(turns.Skip(2), t => Assert.False(t.IsCompleted));
        Assert.Equal([1, 2, 3], jobs.Skip(2).Select(j => scheduler.PositionOf(j)!.Value));
        Assert.Null(scheduler.PositionOf(jobs[0]));

        first[0].Release();
        await turns[2].WaitAsync(Limit);
        Assert.False(turns[3].IsCompleted);
        Assert.Equal(2, scheduler.Running);
    }

    [Fact]
    public async Task A_job_that_stops_while_waiting_leaves_the_queue_and_frees_nothing()
    {
        var scheduler = new ReplicationScheduler { MaxJobs = 1 };
        var running = await scheduler.WaitTurnAsync(new object(), ["http://a:5984"], CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var leaving = new object();
        var waiting = scheduler.WaitTurnAsync(leaving, ["http://a:5984"], stop.Token);
        var next = new object();
        var after = scheduler.WaitTurnAsync(next, ["http://a:5984"], CancellationToken.None);

        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Limit));
        Assert.Null(scheduler.PositionOf(leaving));
        Assert.Equal(1, scheduler.PositionOf(next));

        running.Release();
        await after.WaitAsync(Limit);
        Assert.Equal(1, scheduler.Running);
    }

    [Fact]
    public async Task An_overloaded_server_gets_fewer_jobs_until_jobs_end_cleanly_again()
    {
        var scheduler = new ReplicationScheduler { MaxJobs = 8 };
        const string busy = "http://busy:5984", other = "http://other:5984";
        var slots = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => scheduler.WaitTurnAsync(new object(), [busy], CancellationToken.None)));

        // Many jobs crash on one overload at once: the limit is halved once for it, not eight times.
        foreach (var slot in slots.Take(4)) slot.Release(overloaded: true);
        Assert.Equal(4, scheduler.LimitOf(busy));

        var queued = Enumerable.Range(0, 4).Select(_ => scheduler.WaitTurnAsync(new object(), [busy], CancellationToken.None)).ToArray();
        var elsewhere = scheduler.WaitTurnAsync(new object(), [other], CancellationToken.None);
        await elsewhere.WaitAsync(Limit);
        Assert.All(queued, t => Assert.False(t.IsCompleted));

        foreach (var slot in slots.Skip(4)) slot.Release();
        Assert.Equal(8, scheduler.LimitOf(busy));
        await Task.WhenAll(queued).WaitAsync(Limit);
    }

    [Fact]
    public async Task A_job_on_two_servers_needs_room_on_both()
    {
        var scheduler = new ReplicationScheduler { MaxJobs = 4 };
        const string a = "http://a:5984", b = "http://b:5984";
        var onA = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => scheduler.WaitTurnAsync(new object(), [a], CancellationToken.None)));
        foreach (var slot in onA.Take(2)) slot.Release(overloaded: true);
        Assert.Equal(2, scheduler.LimitOf(a));

        // b has room and the scheduler has room, but a runs two of its two.
        var both = scheduler.WaitTurnAsync(new object(), [a, b], CancellationToken.None);
        Assert.False(both.IsCompleted);
        onA[2].Release();
        await both.WaitAsync(Limit);
    }

    [Fact]
    public void MaxJobs_below_one_is_refused_naming_it()
    {
        var error = Assert.Throws<CouchReplicationException>(() => new ReplicationScheduler { MaxJobs = 0 });
        Assert.Equal("MaxJobs: must be at least 1, not 0", error.Message);
    }
}
