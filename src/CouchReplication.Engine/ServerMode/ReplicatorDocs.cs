using System.Text.Json;
using CouchReplication.Http;
using CouchReplication.Json;

namespace CouchReplication.ServerMode;

/// <summary>
/// Persistent replications on servers without a scheduler (pouchdb-server, CouchDB 1.x): the
/// replicator writes a document's state into the document itself, <c>_replication_state</c>
/// (triggered, completed or error) with <c>_replication_state_reason</c> and
/// <c>_replication_stats</c>.
/// </summary>
internal static class ReplicatorDocs
{
    /// <summary>The replicator database persistent replications are written to.</summary>
    public const string Database = "_replicator";

    // Source and target hold the endpoints' passwords: they never go into AdditionalFields.
    private static readonly HashSet<string> DocFields =
    [
        "_id", "source", "target", "continuous", "user_ctx", "_replication_id", "_replication_state",
        "_replication_state_reason", "_replication_state_time", "_replication_stats",
    ];

    public static CouchActiveTask Read(JsonElement doc) => ActiveTaskJson.Counters(doc.Field("_replication_stats") ?? default) with
    {
        ReplicationId = doc.StringOf("_replication_id"),
        State = doc.StringOf("_replication_state") switch
        {
            "triggered" => CouchReplicationState.Running,
            "completed" => CouchReplicationState.Completed,
            // CouchDB 2.1 and later write completed and failed into the document, and nothing else.
            "failed" => CouchReplicationState.Failed,
            // 1.x says error both while it retries and once it has given up; the reason tells which.
            "error" => CouchReplicationState.Failed,
            _ => CouchReplicationState.Initializing,
        },
        Error = ActiveTaskJson.Masked(doc.StringOf("_replication_state_reason")),
        Source = ActiveTaskJson.Masked(UrlOf(doc, "source")),
        Target = ActiveTaskJson.Masked(UrlOf(doc, "target")),
        Continuous = doc.BoolOf("continuous") ?? false,
        UpdatedOn = doc.TimeOf("_replication_state_time"),
        User = doc.Field("user_ctx")?.StringOf("name"),
        DocId = doc.StringOf("_id"),
        Database = Database,
        AdditionalFields = ActiveTaskJson.Extras(doc, DocFields),
    };

    /// <summary>
    /// The server's <c>_active_tasks</c> (CouchDB 1.x lists its replications there, pouchdb-server
    /// nothing) and the documents whose replication is triggered; with
    /// <paramref name="includeInactive"/>, every replication document.
    /// </summary>
    public static List<CouchActiveTask> Merge(IEnumerable<CouchActiveTask> active, IEnumerable<CouchActiveTask> docs, bool includeInactive)
    {
        var tasks = active.ToList();
        var listed = tasks.Select(t => t.DocId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        tasks.AddRange(docs.Where(d => !listed.Contains(d.DocId!) && (includeInactive || d.State == CouchReplicationState.Running)));
        return tasks;
    }

    /// <summary>Every replication document of the server (design documents left out), each as <paramref name="read"/> makes it; none when the server has no <c>_replicator</c>.</summary>
    public static async Task<List<T>> ReadAllAsync<T>(CouchHttp reads, Func<JsonElement, T> read, CancellationToken ct)
    {
        try
        {
            using var docs = await reads.GetJsonAsync($"{Database}/_all_docs?include_docs=true", ct);
            return docs.RootElement.ArrayOf("rows").Select(r => r.Field("doc"))
                .OfType<JsonElement>().Where(d => d.StringOf("_id")?.StartsWith("_design/", StringComparison.Ordinal) == false)
                .Select(read).ToList();
        }
        catch (CouchReplicationException e) when (e.StatusCode == 404)
        {
            return [];
        }
    }

    private static string? UrlOf(JsonElement doc, string end) =>
        doc.StringOf(end) ?? doc.Field(end)?.StringOf("url");
}
