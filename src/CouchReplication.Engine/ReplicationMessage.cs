namespace CouchReplication;

/// <summary>A line a replication has for its user: narration for -Verbose, or a warning.</summary>
public sealed record ReplicationMessage(bool IsWarning, string Text)
{
    /// <summary>The text.</summary>
    public override string ToString() => Text;
}
