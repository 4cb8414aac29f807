namespace CouchReplication.Commands;

/// <summary>The module's settings for this session, as Get-CouchReplicationOption shows them.</summary>
public sealed class CouchReplicationOption
{
    /// <summary>How many of this session's replications run at once; the others wait in state Pending.</summary>
    public int MaxJobs { get; init; }

    /// <summary>How often a one-shot replication is restarted after a transient crash before it is Failed.</summary>
    public int MaxRestarts { get; init; }

    /// <summary>Replications of this session running now.</summary>
    public int Running { get; init; }

    /// <summary>Replications of this session waiting for their turn.</summary>
    public int Pending { get; init; }

    /// <summary>The settings as they are now.</summary>
    internal static CouchReplicationOption Current()
    {
        var session = ReplicationRegistry.Session;
        var tasks = session.Tasks(includeFinished: false);
        return new CouchReplicationOption
        {
            MaxJobs = session.MaxJobs,
            MaxRestarts = session.MaxRestarts,
            Running = tasks.Count(t => t.State is not CouchReplicationState.Pending),
            Pending = tasks.Count(t => t.State is CouchReplicationState.Pending),
        };
    }
}
