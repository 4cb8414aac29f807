namespace CouchReplication.Jobs;

/// <summary>
/// Decides when a job of this session may run, as CouchDB's replicator scheduler does for its
/// jobs: at most <see cref="MaxJobs"/> at once, the others <see cref="CouchReplicationState.Pending"/>
/// in the order they came. Each server a job talks to also has a limit of its own that follows
/// the server's health (additive increase, multiplicative decrease): halved when a job crashes on
/// an overloaded answer (5xx, 429, a timeout), raised by one for each job that ends cleanly, never
/// above <see cref="MaxJobs"/>. A migration of a thousand databases then runs as fast as the server
/// allows instead of failing on it.
/// </summary>
internal sealed class ReplicationScheduler
{
    /// <summary>
    /// The default of <see cref="MaxJobs"/>: with it, the benchmark's <c>many</c> phase (1,000
    /// databases of 20 documents on one CouchDB 3.5 node) completed with none failed, where
    /// starting all at once failed 159 on <c>No DB shards could be opened</c>; each job opens two
    /// databases, so 20 stay far below CouchDB's <c>max_dbs_open</c> of 500 (docs/PERFORMANCE.md).
    /// </summary>
    public const int DefaultMaxJobs = 20;

    /// <summary>A server's limit is halved at most once in this time: one overload makes many jobs crash at once.</summary>
    private static readonly TimeSpan DecreaseQuiet = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private readonly LinkedList<Waiter> _waiting = new();
    private readonly Dictionary<string, ServerShare> _servers = new(StringComparer.OrdinalIgnoreCase);
    private int _maxJobs = DefaultMaxJobs;
    private int _running;

    /// <summary>How many jobs may run at once, all servers together.</summary>
    public int MaxJobs
    {
        get => _maxJobs;
        set
        {
            if (value < 1) throw CouchReplicationException.InvalidArgument("MaxJobs", $"must be at least 1, not {value}");
            lock (_gate)
            {
                _maxJobs = value;
                foreach (var share in _servers.Values) share.Limit = Math.Min(share.Limit, value);
                Grant();
            }
        }
    }

    /// <summary>
    /// Waits until the job may run against <paramref name="servers"/> and returns its slot, which
    /// must be released when the job stops running. Cancelling <paramref name="ct"/> takes the job
    /// out of the queue.
    /// </summary>
    public async Task<Slot> WaitTurnAsync(object job, IReadOnlyCollection<string> servers, CancellationToken ct)
    {
        var waiter = new Waiter(job, servers.Distinct(StringComparer.OrdinalIgnoreCase).ToArray());
        lock (_gate)
        {
            _waiting.AddLast(waiter);
            Grant();
        }
        using (ct.Register(() => Leave(waiter)))
            return await waiter.Turn.Task;
    }

    /// <summary>The job's place in the queue (1 is next), or null when it is not waiting.</summary>
    public int? PositionOf(object job)
    {
        lock (_gate)
        {
            var position = 1;
            for (var node = _waiting.First; node is not null; node = node.Next, position++)
                if (ReferenceEquals(node.Value.Job, job)) return position;
            return null;
        }
    }

    /// <summary>The limit the scheduler keeps for <paramref name="server"/> now, for monitoring and tests.</summary>
    public int LimitOf(string server)
    {
        lock (_gate) return _servers.TryGetValue(server, out var share) ? (int)share.Limit : _maxJobs;
    }

    /// <summary>How many jobs run now.</summary>
    public int Running
    {
        get { lock (_gate) return _running; }
    }

    private void Leave(Waiter waiter)
    {
        lock (_gate)
        {
            if (!_waiting.Remove(waiter)) return;
        }
        waiter.Turn.TrySetCanceled();
    }

    private void Release(Slot slot, bool overloaded)
    {
        lock (_gate)
        {
            _running--;
            var now = DateTime.UtcNow;
            foreach (var server in slot.Servers)
            {
                var share = Share(server);
                share.Running--;
                if (overloaded && now - share.DecreasedAt >= DecreaseQuiet)
                {
                    share.Limit = Math.Max(1, share.Limit / 2);
                    share.DecreasedAt = now;
                }
                else if (!overloaded)
                {
                    share.Limit = Math.Min(_maxJobs, share.Limit + 1);
                }
            }
            Grant();
        }
    }

    /// <summary>Starts every waiting job that fits, oldest first; a job whose server is at its limit lets the next one by.</summary>
    private void Grant()
    {
        for (var node = _waiting.First; node is not null && _running < _maxJobs;)
        {
            var next = node.Next;
            if (node.Value.Servers.All(s => Share(s).Running < Math.Max(1, (int)Share(s).Limit)))
            {
                _waiting.Remove(node);
                _running++;
                foreach (var server in node.Value.Servers) Share(server).Running++;
                // Its continuation runs on the thread pool, not under this lock (RunContinuationsAsynchronously).
                node.Value.Turn.SetResult(new Slot(this, node.Value.Servers));
            }
            node = next;
        }
    }

    private ServerShare Share(string server)
    {
        if (!_servers.TryGetValue(server, out var share)) _servers[server] = share = new ServerShare { Limit = _maxJobs };
        return share;
    }

    private sealed class ServerShare
    {
        public double Limit;
        public int Running;
        public DateTime DecreasedAt;
    }

    private sealed record Waiter(object Job, string[] Servers)
    {
        public TaskCompletionSource<Slot> Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A running job's place; released once, when the job stops running or no longer needs it.</summary>
    public sealed class Slot(ReplicationScheduler scheduler, string[] servers)
    {
        private int _released;

        public string[] Servers => servers;

        /// <summary>Gives the place back; <paramref name="overloaded"/> says the job crashed on an overloaded server.</summary>
        public void Release(bool overloaded = false)
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) scheduler.Release(this, overloaded);
        }
    }
}
