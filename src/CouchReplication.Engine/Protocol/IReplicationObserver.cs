using CouchReplication.Document;

namespace CouchReplication.Protocol;

/// <summary>What a replication run tells the job that runs it.</summary>
internal interface IReplicationObserver
{
    /// <summary>A protocol step worth narrating under -Verbose; URLs already redacted.</summary>
    void Verbose(string message);

    /// <summary>One HTTP request and how it was answered, for -Debug; URL redacted. Told only when <see cref="ReplicationSettings.NarrateRequests"/>.</summary>
    void Debug(string message);

    /// <summary>Something the user should see, such as a refused document.</summary>
    void Warning(string message);

    /// <summary>Checks and checkpoints are done; changes are flowing.</summary>
    void Running();

    /// <summary>A continuous replication's feed has nothing more to give for now: it only follows new changes.</summary>
    void CaughtUp();
}
