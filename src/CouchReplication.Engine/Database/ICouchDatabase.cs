using System.Text.Json;
using CouchReplication.Json;

namespace CouchReplication.Database;

/// <summary>
/// One database at one end of a replication, through the endpoints the replication protocol uses:
/// the database itself, the changes feed, <c>_revs_diff</c>, reading revisions (<c>_bulk_get</c>,
/// <c>open_revs</c>), writing them (<c>_bulk_docs</c> and the multipart PUT, both
/// <c>new_edits=false</c>), the replication logs in <c>_local</c> documents, and the design document
/// a filter lives in. The run and its parts (<c>Protocol/</c>) know only this contract and its typed
/// answers, so another kind of database (a database file, recorded answers for a unit test) can stand
/// at either end; <c>Protocol/CouchDatabase.Open</c> chooses. Failures are
/// <see cref="CouchReplicationException"/>s, transient ones already retried per request.
/// </summary>
internal interface ICouchDatabase : IDisposable
{
    /// <summary>
    /// Whether the database exists: null when it does, otherwise the database's answer that it does
    /// not, for the caller to say what that means. Throws when something other than a CouchDB
    /// database answers.
    /// </summary>
    Task<DatabaseNotFound?> FindAsync(CancellationToken ct);

    /// <summary>
    /// The database's <c>update_seq</c> now: where a comparison stops judging, since the changes
    /// feed after it holds what was written during the comparison.
    /// </summary>
    Task<Seq> ReadUpdateSeqAsync(CancellationToken ct);

    /// <summary>Creates the database with <c>create_target_params</c>; false when it appeared in the meantime.</summary>
    Task<bool> CreateAsync(IDictionary<string, object?>? parameters, CancellationToken ct);

    /// <summary>
    /// Whether this database, as a target, keeps an attachment in the encoding it arrives in (gzip,
    /// with its encoded_length and digest), as CouchDB does. pouchdb-server does not: it would store
    /// the gzip bytes as the attachment's content, so a source gives it attachments decoded
    /// (<see cref="GivesStoredEncodings"/>).
    /// </summary>
    Task<bool> KeepsAttachmentEncodingsAsync(CancellationToken ct);

    /// <summary>
    /// Whether reads give attachments as stored, compressed ones with their encoding (true, the
    /// default, as CouchDB's replicator reads them with <c>att_encoding_info</c>), or decoded, with
    /// no encoding, for a target that cannot keep one. Set before the first read.
    /// </summary>
    bool GivesStoredEncodings { get; set; }

    /// <summary>One page of the changes feed (<c>feed=normal</c>), at most <paramref name="limit"/> rows.</summary>
    Task<ChangesPage> ReadChangesAsync(ChangesRequest request, int limit, CancellationToken ct);

    /// <summary>
    /// Opens the continuous changes feed, asking for a heartbeat every <paramref name="heartbeat"/>;
    /// its lines are read as they arrive. Opening is retried until the database answers.
    /// </summary>
    Task<IContinuousChanges> FollowChangesAsync(ChangesRequest request, TimeSpan heartbeat, CancellationToken ct);

    /// <summary><c>_revs_diff</c>: which of these revisions the database lacks, by document.</summary>
    Task<IReadOnlyList<MissingRevs>> RevsDiffAsync(IReadOnlyDictionary<string, IReadOnlyList<string>> revsById, CancellationToken ct);

    /// <summary>
    /// <c>_bulk_get</c> with history and stored encodings: the newest leaf of each requested
    /// revision, attachments as stubs. Null when the database has no usable <c>_bulk_get</c> (read
    /// the revisions with <see cref="OpenRevsAsync"/> instead).
    /// </summary>
    Task<ReadAnswer<IReadOnlyList<BulkGetResult>>?> BulkGetAsync(IReadOnlyList<RevisionRequest> revisions, CancellationToken ct);

    /// <summary>
    /// <c>_bulk_get</c> of exact revisions with the data of their attachments newer than each
    /// request's <see cref="RevisionRequest.AttsSince"/> inline, for a database whose
    /// <c>_bulk_get</c> worked.
    /// </summary>
    Task<ReadAnswer<IReadOnlyList<BulkGetResult>>> BulkGetWithAttachmentsAsync(IReadOnlyList<RevisionRequest> revisions, CancellationToken ct);

    /// <summary><c>open_revs</c> of one document with history: the newest leaf of each revision, attachments as stubs or inline.</summary>
    Task<ReadAnswer<IReadOnlyList<RevisionEntry>>> OpenRevsAsync(string id, IReadOnlyList<string> revs, bool withAttachments,
        CancellationToken ct);

    /// <summary>
    /// <c>open_revs</c> of one revision with its attachments newer than <paramref name="attsSince"/>,
    /// streamed part by part so that no attachment is held in memory whole.
    /// </summary>
    Task<IRevisionParts> OpenRevisionWithAttachmentsAsync(string id, string rev, IReadOnlyList<string> attsSince, CancellationToken ct);

    /// <summary>
    /// <c>_bulk_docs</c> with <c>new_edits=false</c>: writes revisions as they are, with their history.
    /// </summary>
    Task<BulkDocsAnswer> BulkDocsAsync(IReadOnlyList<DocRevision> revisions, CancellationToken ct);

    /// <summary>
    /// <c>_bulk_docs</c> with new edits, as an application writes: each document a new one (no
    /// <c>_rev</c>) or the next revision of the leaf its <c>_rev</c> names, given a new revision id by
    /// the database; answered per document, in order, with the new revision or why it was refused.
    /// </summary>
    Task<IReadOnlyList<CouchDocumentWrite>> SaveAsync(IReadOnlyList<JsonElement> docs, CancellationToken ct);

    /// <summary>
    /// Writes one revision with its attachments streamed from the database it is read from
    /// (<c>PUT doc?new_edits=false</c>, multipart); null when written, otherwise the refusal,
    /// counted as a failure of this document. A missing attachment stub throws
    /// (<see cref="CouchErrors.MissingStub"/>): the revision is sent again with every attachment.
    /// Sent once: a transient failure is the caller's to start over from the source.
    /// </summary>
    Task<CouchDocWriteFailure?> PutWithAttachmentsAsync(RevisionWithAttachments revision, CancellationToken ct);

    /// <summary>The replication log <c>_local/&lt;replicationId&gt;</c>, or null when there is none.</summary>
    Task<ReplicationLog?> ReadReplicationLogAsync(string replicationId, CancellationToken ct);

    /// <summary>
    /// Writes the replication log: this session at <paramref name="sourceLastSeq"/> with the
    /// <paramref name="history"/> it continues, over <paramref name="rev"/> (or over whatever another
    /// run wrote meanwhile); returns the log's new revision.
    /// </summary>
    Task<string?> WriteReplicationLogAsync(string replicationId, string? rev, string sessionId, Seq sourceLastSeq,
        IReadOnlyList<CouchReplicationHistoryEntry> history, CancellationToken ct);

    /// <summary>
    /// The source code of a filter function (<c>ddoc/name</c> in <c>filters</c>) or a view's map
    /// function (in <c>views</c>) from its design document; a missing one is a FilterNotFound error.
    /// </summary>
    Task<string> ReadFunctionAsync(string name, DesignSection section, CancellationToken ct);
}
