namespace CouchReplication;

/// <summary>A line a replication has for its user: narration for -Verbose, a warning, or an HTTP request for -Debug.</summary>
public sealed record ReplicationMessage(bool IsWarning, string Text)
{
    /// <summary>One HTTP request and its answer (URL redacted), told only when asked for: -Debug.</summary>
    public bool IsDebug { get; init; }

    /// <summary>The text.</summary>
    public override string ToString() => Text;
}
