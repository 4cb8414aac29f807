using CouchReplication.Database;
using CouchReplication.Document;



namespace CouchReplication.Protocol;

/// <summary>
/// The first thing a replication asks of its two databases: that the source exists and takes the
/// credentials, and that the target does too or may be created. One place for it, because a
/// replication started in the background asks it before it returns as well as when it runs.
/// </summary>
internal static class ReplicationEnds
{
    /// <summary>Fails with the error the run would fail with: a missing source, a missing target without create_target, a refused credential.</summary>
    /// <returns>The target's absence, when create_target allows it; null when the target exists.</returns>
    public static async Task<DatabaseNotFound?> CheckAsync(ICouchDatabase source, ICouchDatabase target, ReplicationSettings settings, CancellationToken ct)
    {
        if (await source.FindAsync(ct) is { } missingSource)
            throw missingSource.Explain($"The source database {settings.Source.Redacted} does not exist.");
        if (await target.FindAsync(ct) is not { } missingTarget) return null;
        if (!settings.CreateTarget)
            throw missingTarget.Explain($"The target database {settings.Target.Redacted} does not exist; use create_target (-CreateTarget) to create it.");
        return missingTarget;
    }

    /// <summary>Checks both ends with connections of their own, before a background replication is handed to the scheduler.</summary>
    public static async Task CheckAsync(ReplicationSettings settings, CancellationToken ct)
    {
        using var source = CouchDatabase.Open(settings.Source, settings.Http, "source", _ => { });
        using var target = CouchDatabase.Open(settings.Target, settings.Http, "target", _ => { });
        await CheckAsync(source, target, settings, ct);
    }
}
