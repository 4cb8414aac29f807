using CouchReplication.Database;

namespace CouchReplication.CouchApi;

/// <summary><c>POST /db/_revs_diff</c>.</summary>
internal sealed partial class HttpCouchDatabase
{
    public async Task<IReadOnlyList<MissingRevs>> RevsDiffAsync(IReadOnlyDictionary<string, IReadOnlyList<string>> revsById, CancellationToken ct)
    {
        if (revsById.Count == 0) return [];
        using var json = await _http.PostJsonAsync("_revs_diff", writer =>
        {
            writer.WriteStartObject();
            foreach (var (id, revs) in revsById)
            {
                writer.WriteStartArray(id);
                foreach (var rev in revs) writer.WriteStringValue(rev);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }, ct);
        return MissingRevs.Parse(json.RootElement, _role);
    }
}
