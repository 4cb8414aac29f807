using CouchReplication.Database;



namespace CouchReplication.Protocol;

/// <summary>
/// Documents read from the source for one batch, each with its <c>_revisions</c> history. Owns the
/// answers the documents point into, until the batch is written.
/// </summary>
internal sealed class FetchedDocs : IDisposable
{
    private readonly List<IDisposable> _answers = [];
    private readonly HashSet<(string Id, string Rev)> _seen = [];

    public List<DocRevision> Docs { get; } = [];

    public void Own(IDisposable answer)
    {
        lock (_answers) _answers.Add(answer);
    }

    /// <summary>Adds a document; <c>latest=true</c> can give the same leaf for two missing revisions, so duplicates are dropped.</summary>
    public void Add(DocRevision doc)
    {
        if (doc.Id.Length == 0 || doc.Rev is not { } rev) return;
        lock (_seen)
            if (_seen.Add((doc.Id, rev))) Docs.Add(doc);
    }

    public void Dispose()
    {
        foreach (var answer in _answers) answer.Dispose();
    }
}
