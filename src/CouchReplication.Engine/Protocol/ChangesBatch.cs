using CouchReplication.Database;
using CouchReplication.Json;



namespace CouchReplication.Protocol;

/// <summary>
/// A batch of changes as the workers take them. <see cref="Ordinal"/> is the batch's position in
/// the feed; <see cref="LastSeq"/> is the sequence a checkpoint may name once this batch and all
/// before it are written; <see cref="Pending"/> the changes the source said were left after it,
/// when it said.
/// </summary>
internal sealed record ChangesBatch(long Ordinal, IReadOnlyList<Change> Changes, Seq LastSeq, long? Pending = null);
