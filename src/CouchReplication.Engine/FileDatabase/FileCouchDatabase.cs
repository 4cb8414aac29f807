using System.Text.Json;
using Microsoft.Data.Sqlite;
using CouchReplication.Database;
using CouchReplication.Json;

namespace CouchReplication.FileDatabase;

/// <summary>
/// A database file (SQLite) as one end of a replication: the same contract as a CouchDB database
/// over HTTP, with CouchDB's semantics implemented once here (revision trees merged and stemmed,
/// the winning revision, an integer update sequence, <c>_revs_diff</c>, <c>_local</c> documents,
/// attachments stored once per digest in their stored encoding). Each part of the contract is in
/// the file named after it (FileChanges, FileReads, FileReplicatedWrites, FileNewEdits); this one holds the database
/// itself, the replication logs and design functions.
/// </summary>
internal sealed partial class FileCouchDatabase : ICouchDatabase
{
    private readonly string _path;
    private readonly string _role;
    private DatabaseFile? _file;

    /// <param name="path">The file's full path.</param>
    /// <param name="role">"source" or "target": how messages name this database.</param>
    public FileCouchDatabase(string path, string role)
    {
        _path = path;
        _role = role;
    }

    /// <summary>The open file, opened at first use: a missing file is found missing by <see cref="FindAsync"/>, not here.</summary>
    private DatabaseFile File
    {
        get
        {
            if (_file is not null) return _file;
            if (!System.IO.File.Exists(_path)) throw NotFound().Explain($"The {_role} database file {_path} does not exist.");
            return _file = DatabaseFile.Borrow(_path);
        }
    }

    private Task<T> UseAsync<T>(Func<SqliteConnection, T> work, CancellationToken ct) => File.UseAsync(c => Task.FromResult(work(c)), ct);

    public Task<DatabaseNotFound?> FindAsync(CancellationToken ct)
    {
        if (!System.IO.File.Exists(_path)) return Task.FromResult<DatabaseNotFound?>(NotFound());
        // Opening checks that the file is a database file of this module, and not in use elsewhere.
        _ = File;
        return Task.FromResult<DatabaseNotFound?>(null);
    }

    private DatabaseNotFound NotFound() =>
        new(new CouchReplicationException(CouchErrorKind.DbNotFound, $"{_path} does not exist.", 404, "not_found", "Database does not exist.", _path), _path);

    public Task<Seq> ReadUpdateSeqAsync(CancellationToken ct) => UseAsync(c => new Seq(UpdateSeq(c).ToString(System.Globalization.CultureInfo.InvariantCulture)), ct);

    /// <summary>
    /// Creates the file. create_target_params (shards, partitioning) describe a CouchDB cluster and
    /// mean nothing for a file; they are not an error, as a backup script may pass them to either kind.
    /// </summary>
    public Task<bool> CreateAsync(IDictionary<string, object?>? parameters, CancellationToken ct) => Task.FromResult(DatabaseFile.Create(_path));

    /// <summary>A file keeps every attachment as it arrives, with its encoding.</summary>
    public Task<bool> KeepsAttachmentEncodingsAsync(CancellationToken ct) => Task.FromResult(true);

    public bool GivesStoredEncodings { get; set; } = true;

    private static long UpdateSeq(SqliteConnection c) => Convert.ToInt64(DatabaseFile.Scalar(c, "SELECT value FROM settings WHERE name = 'update_seq'"));

    public Task<ReplicationLog?> ReadReplicationLogAsync(string replicationId, CancellationToken ct) => UseAsync(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT rev, body FROM local_docs WHERE id = $id";
        command.Parameters.AddWithValue("$id", ReplicationLog.LocalId(replicationId));
        using var row = command.ExecuteReader();
        if (!row.Read()) return null;
        using var body = JsonDocument.Parse(row.GetString(1));
        return ReplicationLog.Parse(body.RootElement) with { Rev = LocalRev(row.GetInt64(0)) };
    }, ct);

    /// <summary>Writes the log over whatever is there: one process writes the file at a time, and a stale revision would only be taken over.</summary>
    public Task<string?> WriteReplicationLogAsync(string replicationId, string? rev, string sessionId, Seq sourceLastSeq,
        IReadOnlyList<CouchReplicationHistoryEntry> history, CancellationToken ct) => UseAsync<string?>(c =>
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) ReplicationLog.Write(w, replicationId, null, sessionId, sourceLastSeq, history);
        using var command = c.CreateCommand();
        command.CommandText = """
            INSERT INTO local_docs (id, rev, body) VALUES ($id, 1, $body)
            ON CONFLICT (id) DO UPDATE SET rev = rev + 1, body = excluded.body
            RETURNING rev
            """;
        command.Parameters.AddWithValue("$id", ReplicationLog.LocalId(replicationId));
        command.Parameters.AddWithValue("$body", System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        return LocalRev(Convert.ToInt64(command.ExecuteScalar()));
    }, ct);

    /// <summary>A local document's revision, in CouchDB's form for them (<c>0-N</c>).</summary>
    private static string LocalRev(long number) => "0-" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A file cannot run the JavaScript of a filter function or a view: refused, naming why.</summary>
    public Task<string> ReadFunctionAsync(string name, DesignSection section, CancellationToken ct) =>
        throw CannotRunJavaScript(_path);

    /// <summary>The error for a filter function or a view on a database file source.</summary>
    public static CouchReplicationException CannotRunJavaScript(string path) =>
        CouchReplicationException.InvalidArgument("filter",
            $"the source {path} is a database file, which cannot run a design document's JavaScript (a filter function or _view); use doc_ids or selector");

    public void Dispose()
    {
        if (_file is not null) DatabaseFile.Release(_file);
        _file = null;
    }
}
