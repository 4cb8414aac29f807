using System.Text.Json;

namespace CouchReplication.Protocol;

/// <summary>
/// Documents read from the source for one batch, each with its <c>_revisions</c> history. Owns the
/// parsed answers the documents point into, until the batch is written.
/// </summary>
internal sealed class FetchedDocs : IDisposable
{
    private readonly List<JsonDocument> _answers = [];
    private readonly HashSet<(string Id, string Rev)> _seen = [];

    public List<JsonElement> Docs { get; } = [];

    public void Own(JsonDocument answer)
    {
        lock (_answers) _answers.Add(answer);
    }

    /// <summary>Adds a document; <c>latest=true</c> can give the same leaf for two missing revisions, so duplicates are dropped.</summary>
    public void Add(JsonElement doc)
    {
        var id = doc.TryGetProperty("_id", out var i) ? i.GetString() : null;
        var rev = doc.TryGetProperty("_rev", out var r) ? r.GetString() : null;
        if (id is null || rev is null) return;
        lock (_seen)
            if (_seen.Add((id, rev))) Docs.Add(doc);
    }

    public void Dispose()
    {
        foreach (var answer in _answers) answer.Dispose();
    }
}
