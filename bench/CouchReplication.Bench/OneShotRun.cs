namespace CouchReplication.Bench;

/// <summary>One way of copying the seeded database: how many documents and revisions arrived, and at what cost.</summary>
internal sealed record OneShotRun(string Name, int Docs, long RevisionsWritten, ResourceUsage Usage)
{
    public double DocsPerSecond => Docs / Usage.Elapsed.TotalSeconds;

    /// <summary>Throughput phases sample memory often: their peaks are short.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(50);
}
