namespace CouchReplication;

/// <summary>The states of a replication job, as CouchDB's scheduler names them, plus Stopped.</summary>
public enum CouchReplicationState
{
    /// <summary>Checking the databases and reading checkpoints.</summary>
    Initializing,
    /// <summary>Waiting to run.</summary>
    Pending,
    /// <summary>Replicating.</summary>
    Running,
    /// <summary>Failed transiently; will restart from its checkpoint.</summary>
    Crashing,
    /// <summary>A one-shot replication that finished.</summary>
    Completed,
    /// <summary>Failed permanently.</summary>
    Failed,
    /// <summary>The replication document is invalid (server replications).</summary>
    Error,
    /// <summary>Cancelled; its final checkpoint was written.</summary>
    Stopped,
}
