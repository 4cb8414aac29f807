using System.Management.Automation;
using System.Net;
using System.Text.Json;
using CouchReplication.Tests;
using CouchReplication.Tests.Servers;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace CouchReplication.Host.Tests;

// One test class at a time: the session's replications are the process's (as in pwsh, shared by
// its runspaces), and Remove-Module stops all of them.

/// <summary>What every hosted test needs beyond <see cref="ServerTests{TServer}"/>: seeded databases, credentials, checkpoints.</summary>
public abstract class HostedModuleTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    /// <summary>A new source database with <paramref name="count"/> documents doc-00000, doc-00001 ...</summary>
    protected async Task<string> SeedAsync(int count)
    {
        var db = await NewDbAsync("source");
        foreach (var chunk in Enumerable.Range(0, count).Chunk(500))
            await Client.BulkDocsAsync(db, chunk.Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i:D5}", ["n"] = i }), newEdits: true);
        return db;
    }

    /// <summary><see cref="SeedAsync"/> and the name of a target database that does not exist yet.</summary>
    protected async Task<(string SourceDb, string TargetDb)> SeedWithTargetAsync(int count) => (await SeedAsync(count), CouchServer.NewDbName("target"));

    /// <summary>A URL without its user info, for <see cref="AdminCredential"/>.</summary>
    protected static string WithoutCredentials(string url) => new UriBuilder(url) { UserName = "", Password = "" }.Uri.AbsoluteUri;

    /// <summary>The server admin's credentials, as -SourceCredential and -TargetCredential take them.</summary>
    protected static PSCredential AdminCredential { get; } =
        new(CouchServer.AdminUser, new NetworkCredential("", CouchServer.AdminPassword).SecurePassword);

    /// <summary>The sequence a checkpoint document (<c>_local/&lt;id&gt;</c>) names, as the task shows sequences, or null when there is none.</summary>
    protected async Task<string?> CheckpointSeqAsync(string db, string checkpointId)
    {
        if (await Client.StatusAsync($"{db}/_local/{checkpointId}") == HttpStatusCode.NotFound) return null;
        using var log = await Client.GetJsonAsync($"{db}/_local/{checkpointId}");
        var seq = log.RootElement.GetProperty("source_last_seq");
        return seq.ValueKind == JsonValueKind.String ? seq.GetString() : seq.GetRawText();
    }

    /// <summary>
    /// Starts a continuous replication whose only checkpoint will be the one written when it
    /// stops (the interval is ten minutes), and waits until it has written <paramref name="docs"/> documents.
    /// </summary>
    private protected static async Task<CouchReplicationTask> StartContinuousAsync(ModuleSession session, string source, string target, int docs)
    {
        var task = session.Run("Start-CouchReplication", ("Source", source), ("Target", target), ("CreateTarget", true),
            ("Continuous", true), ("CheckpointInterval", 600_000)).Single<CouchReplicationTask>();
        await Eventually.HappensAsync(() => Task.FromResult(task.ToActiveTask().DocsWritten == docs), $"{docs} documents written");
        return task;
    }

    /// <summary>
    /// A stopped task's final checkpoint: it covers every written batch and both replication logs
    /// name it. Returns its sequence.
    /// </summary>
    protected async Task<string> AssertFinalCheckpointAsync(CouchActiveTask stopped, string sourceDb, string targetDb)
    {
        Assert.Equal(CouchReplicationState.Stopped, stopped.State);
        Assert.Equal(stopped.ThroughSeq, stopped.CheckpointedSourceSeq);
        var checkpointId = CheckpointId(stopped.ReplicationId!);
        var checkpoint = await CheckpointSeqAsync(sourceDb, checkpointId);
        Assert.NotNull(checkpoint);
        Assert.Equal(stopped.CheckpointedSourceSeq, checkpoint);
        Assert.Equal(checkpoint, await CheckpointSeqAsync(targetDb, checkpointId));
        return checkpoint;
    }

    /// <summary>The bare replication id, which names the checkpoint documents, of a task id.</summary>
    protected static string CheckpointId(string taskId) => taskId.Split('+')[0];
}
