using CouchReplication.Document;
using CouchReplication.Tests.Servers;


namespace CouchReplication.Tests;

/// <summary>
/// What every test class against a server needs: the server (its class fixture), a client of it,
/// new databases, replication documents between them, and one-shot runs bounded by
/// <see cref="Limit"/>. A suite is <c>FooTests&lt;TServer&gt; : ServerTests&lt;TServer&gt;</c> with a
/// sealed subclass per server (<c>FooOnPouchDb</c>, <c>FooOnCouchDb</c>).
/// </summary>
public abstract class ServerTests<TServer> : IClassFixture<TServer> where TServer : CouchServer
{
    // Not a primary constructor: a suite's own primary constructor passes its server on to this one.
    protected ServerTests(TServer server) => Server = server;

    protected TServer Server { get; }

    protected CouchTestClient Client => Server.Client;

    /// <summary>How long one replication may take.</summary>
    protected virtual TimeSpan Limit => Eventually.Limit;

    /// <summary>The registry <see cref="ReplicateAsync(CouchReplicationDoc, Func{string, bool}?)"/> runs in; null for a new one each time.</summary>
    protected virtual ReplicationRegistry? Registry => null;

    /// <summary>A database's URL on the server, with the admin's credentials in it.</summary>
    protected string Url(string db) => new Uri(Server.Url, db).AbsoluteUri;

    /// <summary>A database's URL through a proxy in front of the server, with the admin's credentials in it.</summary>
    protected static string Url(FaultProxy proxy, string db) => new Uri(proxy.Url, db).AbsoluteUri;

    /// <summary>A new database named <paramref name="prefix"/>-…, with <paramref name="docs"/> written in one <c>_bulk_docs</c>; returns its name.</summary>
    protected async Task<string> NewDbAsync(string prefix, IEnumerable<object>? docs = null)
    {
        var db = CouchServer.NewDbName(prefix);
        await Client.CreateDbAsync(db);
        if (docs is not null) await Client.BulkDocsAsync(db, docs, newEdits: true);
        return db;
    }

    /// <summary>A replication of <paramref name="sourceDb"/> into <paramref name="targetDb"/> on the server, create_target set, then <paramref name="edit"/>.</summary>
    protected CouchReplicationDoc Doc(string sourceDb, string targetDb, Action<CouchReplicationDoc>? edit = null) =>
        Edited(new CouchReplicationDoc { Source = Url(sourceDb), Target = Url(targetDb), CreateTarget = true }, edit);

    /// <summary>The same through a proxy in front of the server.</summary>
    protected static CouchReplicationDoc Doc(FaultProxy proxy, string sourceDb, string targetDb, Action<CouchReplicationDoc>? edit = null) =>
        Edited(new CouchReplicationDoc { Source = Url(proxy, sourceDb), Target = Url(proxy, targetDb), CreateTarget = true }, edit);

    /// <summary>A replication from <paramref name="source"/> to <paramref name="target"/> as given (URLs or database files), create_target set.</summary>
    protected static CouchReplicationDoc Between(string source, string target) => new() { Source = source, Target = target, CreateTarget = true };

    private static CouchReplicationDoc Edited(CouchReplicationDoc doc, Action<CouchReplicationDoc>? edit)
    {
        edit?.Invoke(doc);
        return doc;
    }

    /// <summary>
    /// Runs a one-shot replication in <see cref="Registry"/> and asserts the nothing-lost invariant
    /// on its outcome. One run: a run's failure is the test's outcome, not restarted (restarts
    /// after a crash have their own suite, ManyReplicationsTests).
    /// </summary>
    protected Task<CouchReplicationResult> ReplicateAsync(CouchReplicationDoc doc, Func<string, bool>? inScope = null) =>
        NothingLost.ReplicateAsync(Server, OneRun(doc), Limit, inScope, Registry);

    /// <inheritdoc cref="ReplicateAsync(CouchReplicationDoc, Func{string, bool}?)"/>
    private protected Task<CouchReplicationResult> ReplicateAsync(ReplicationSettings settings) =>
        NothingLost.ReplicateAsync(Server, settings, Limit, registry: Registry);

    /// <summary>Runs a one-shot replication (one run, as <see cref="ReplicateAsync(CouchReplicationDoc, Func{string, bool}?)"/>) in a new registry and returns its result, checking nothing.</summary>
    protected async Task<CouchReplicationResult> RunAsync(CouchReplicationDoc doc, bool skipCertificateCheck = false) =>
        await (await new ReplicationRegistry().StartAsync(OneRun(doc, skipCertificateCheck))).Task.GetResultAsync().WaitAsync(Limit);

    /// <summary>The settings of <paramref name="doc"/> for a single run: no restart after a crash.</summary>
    private protected static ReplicationSettings OneRun(CouchReplicationDoc doc, bool skipCertificateCheck = false) =>
        ReplicationSettings.From(doc, skipCertificateCheck) with { OneShotRestarts = 0 };

    /// <inheritdoc cref="RunAsync(CouchReplicationDoc, bool)"/>
    private protected async Task<CouchReplicationResult> RunAsync(ReplicationSettings settings) =>
        await (await new ReplicationRegistry().StartAsync(settings)).Task.GetResultAsync().WaitAsync(Limit);
}
