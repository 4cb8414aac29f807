using System.Text.Json;

namespace CouchReplication.FileDatabase;

/// <summary>
/// The revision tree of one document as CouchDB keeps it: every known revision with its parent
/// (null at the root of a branch, or where stemming cut the history), and whether it is a
/// deletion. Revisions written with <c>new_edits=false</c> are merged in with their history;
/// stemming keeps the last <c>revs_limit</c> revisions of every branch. Held as a compact JSON
/// array in the file, so a write reads and writes one row whatever the history's length.
/// </summary>
internal sealed class RevisionTree
{
    private readonly Dictionary<string, Node> _nodes;

    private RevisionTree(Dictionary<string, Node> nodes) => _nodes = nodes;

    /// <summary>A revision: its parent (null when unknown) and whether it deletes the document.</summary>
    private sealed record Node(string? Parent, bool Deleted);

    public static RevisionTree Empty() => new(new Dictionary<string, Node>(StringComparer.Ordinal));

    public bool Contains(string rev) => _nodes.ContainsKey(rev);

    /// <summary>The leaves: the revisions no other revision continues.</summary>
    public IReadOnlyList<string> Leaves
    {
        get
        {
            var parents = _nodes.Values.Select(n => n.Parent).OfType<string>().ToHashSet(StringComparer.Ordinal);
            return _nodes.Keys.Where(rev => !parents.Contains(rev)).ToList();
        }
    }

    /// <summary>
    /// CouchDB's winning revision: a live leaf beats a deleted one, then the higher generation,
    /// then the greater revision id (compared as bytes).
    /// </summary>
    public string Winner => Leaves.OrderByDescending(rev => !_nodes[rev].Deleted).ThenByDescending(Generation)
        .ThenByDescending(Hash, StringComparer.Ordinal).First();

    public bool IsDeleted(string rev) => _nodes[rev].Deleted;

    /// <summary>The live leaves other than the winner: the document's conflicts.</summary>
    public IEnumerable<string> Conflicts
    {
        get
        {
            var winner = Winner;
            return Leaves.Where(rev => rev != winner && !_nodes[rev].Deleted);
        }
    }

    /// <summary>The leaves that continue <paramref name="rev"/> (itself when it is a leaf): what <c>latest=true</c> reads.</summary>
    public IEnumerable<string> LeavesFrom(string rev) => Leaves.Where(leaf => Path(leaf).Contains(rev));

    /// <summary>A revision and its known ancestors, newest first.</summary>
    public List<string> Path(string rev)
    {
        var path = new List<string>();
        for (string? at = rev; at is not null && _nodes.TryGetValue(at, out var node); at = node.Parent) path.Add(at);
        return path;
    }

    /// <summary>
    /// Merges a revision and its history (newest first). Returns false when the revision was known
    /// already (CouchDB accepts it again and changes nothing).
    /// </summary>
    public bool Merge(IReadOnlyList<string> history, bool deleted, int revsLimit)
    {
        if (history.Count == 0 || _nodes.ContainsKey(history[0])) return false;
        for (var i = 0; i < history.Count; i++)
        {
            var parent = i + 1 < history.Count ? history[i + 1] : null;
            if (_nodes.TryGetValue(history[i], out var known))
            {
                // A branch whose root stemming cut off gets its parent back from a longer history.
                if (known.Parent is null && parent is not null) _nodes[history[i]] = known with { Parent = parent };
                continue;
            }
            _nodes[history[i]] = new Node(parent, i == 0 && deleted);
        }
        Stem(revsLimit);
        return true;
    }

    /// <summary>Keeps the newest <paramref name="revsLimit"/> revisions of every path from a leaf.</summary>
    private void Stem(int revsLimit)
    {
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var leaf in Leaves) kept.UnionWith(Path(leaf).Take(revsLimit));
        foreach (var rev in _nodes.Keys.Where(rev => !kept.Contains(rev)).ToList()) _nodes.Remove(rev);
        foreach (var (rev, node) in _nodes.ToList())
            if (node.Parent is { } parent && !_nodes.ContainsKey(parent)) _nodes[rev] = node with { Parent = null };
    }

    /// <summary>The generation of a revision id (<c>3-abc</c> is 3).</summary>
    public static long Generation(string rev) => long.TryParse(rev.AsSpan(0, Math.Max(0, rev.IndexOf('-'))), out var g) ? g : 0;

    private static string Hash(string rev) => rev[(rev.IndexOf('-') + 1)..];

    /// <summary>The tree as stored: <c>[[rev, parent, deleted], ...]</c>.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var (rev, node) in _nodes)
            {
                w.WriteStartArray();
                w.WriteStringValue(rev);
                if (node.Parent is null) w.WriteNullValue();
                else w.WriteStringValue(node.Parent);
                w.WriteBooleanValue(node.Deleted);
                w.WriteEndArray();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static RevisionTree Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var nodes = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var node in doc.RootElement.EnumerateArray())
            nodes[node[0].GetString()!] = new Node(node[1].GetString(), node[2].GetBoolean());
        return new RevisionTree(nodes);
    }
}
