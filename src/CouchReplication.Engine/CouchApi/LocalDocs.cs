using CouchReplication.Database;
using CouchReplication.Http;
using CouchReplication.Json;

namespace CouchReplication.CouchApi;

/// <summary><c>GET</c> and <c>PUT /db/_local/&lt;replication id&gt;</c>: the replication logs.</summary>
internal sealed partial class HttpCouchDatabase
{
    public async Task<ReplicationLog?> ReadReplicationLogAsync(string replicationId, CancellationToken ct)
    {
        try
        {
            using var json = await _http.GetJsonAsync(DocPath.Of(ReplicationLog.LocalId(replicationId)), ct);
            return ReplicationLog.Parse(json.RootElement);
        }
        catch (CouchReplicationException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }

    public async Task<string?> WriteReplicationLogAsync(string replicationId, string? rev, string sessionId, Seq sourceLastSeq,
        IReadOnlyList<CouchReplicationHistoryEntry> history, CancellationToken ct)
    {
        var path = DocPath.Of(ReplicationLog.LocalId(replicationId));
        try
        {
            using var answer = await _http.PutJsonAsync(path, w => ReplicationLog.Write(w, replicationId, rev, sessionId, sourceLastSeq, history), ct);
            return answer.RootElement.StringOf("rev");
        }
        catch (CouchReplicationException e) when (e.StatusCode == 409)
        {
            // Someone else wrote the log (another run of the same replication): take its revision and write ours over it.
            var theirs = (await ReadReplicationLogAsync(replicationId, ct))?.Rev;
            using var answer = await _http.PutJsonAsync(path, w => ReplicationLog.Write(w, replicationId, theirs, sessionId, sourceLastSeq, history), ct);
            return answer.RootElement.StringOf("rev");
        }
    }
}
