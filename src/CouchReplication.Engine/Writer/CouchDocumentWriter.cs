using System.Text.Json;
using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.Protocol;

namespace CouchReplication;

/// <summary>
/// Writes documents into one database, on a server or in a database file, as an application does
/// (<c>_bulk_docs</c> with new edits): to seed a database for a test or a demo, or to load data a
/// script made. Each document is new (no <c>_rev</c>) or the next revision of the one its
/// <c>_rev</c> names; the database gives the revision id. The database is opened once and checked
/// at the first write: a missing one is a DbNotFound error unless it may be created.
/// </summary>
public sealed class CouchDocumentWriter : IDisposable
{
    private readonly ICouchDatabase _database;
    private readonly bool _createDatabase;
    private bool _checked;

    private CouchDocumentWriter(CouchEndpoint endpoint, bool createDatabase, bool skipCertificateCheck)
    {
        Database = endpoint.Redacted;
        _createDatabase = createDatabase;
        var defaults = new CouchReplicationDoc();
        var settings = new HttpSettings(
            ReplicationDocFields.Number(defaults, nameof(defaults.HttpConnections)),
            TimeSpan.FromMilliseconds(ReplicationDocFields.Number(defaults, nameof(defaults.ConnectionTimeout))),
            ReplicationDocFields.Number(defaults, nameof(defaults.RetriesPerRequest)))
        {
            SkipCertificateCheck = skipCertificateCheck,
        };
        _database = CouchDatabase.Open(endpoint, settings, "database", _ => { });
    }

    /// <summary>
    /// Opens a database for writing; nothing is sent yet. A bad URL or path is an InvalidArgument
    /// error naming it.
    /// </summary>
    /// <param name="database">A database URL (<c>https://host/db</c>) or the path of a database file.</param>
    /// <param name="credential">Credentials for a server, winning over user info in the URL; refused for a file.</param>
    /// <param name="createDatabase">Create the database (or file) when it does not exist.</param>
    /// <param name="skipCertificateCheck">Accept any TLS certificate (self-signed test servers).</param>
    public static CouchDocumentWriter Open(string database, CouchCredential? credential = null, bool createDatabase = false,
        bool skipCertificateCheck = false) =>
        new(CouchEndpoint.Parse(database, "database", credential), createDatabase, skipCertificateCheck);

    /// <summary>The database written to: its URL with the password masked, or a database file's full path.</summary>
    public string Database { get; }

    /// <summary>
    /// Writes documents, each a JSON object, in one request (one transaction for a file); returns
    /// one answer per document, in order. A refused document (a conflict, an id starting with
    /// <c>_</c>) is an answer with its error, not an exception; an unreachable or missing database,
    /// or a refused credential, throws <see cref="CouchReplicationException"/>.
    /// </summary>
    public async Task<IReadOnlyList<CouchDocumentWrite>> WriteAsync(IReadOnlyList<string> documents, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var parsed = documents.Select(Parse).ToList();
        try
        {
            await EnsureDatabaseAsync(ct);
            var refused = parsed.Select(d => NewDocument.Refusal(d.RootElement)).ToList();
            var sent = parsed.Where((_, i) => refused[i] is null).Select(d => d.RootElement).ToList();
            using var written = (sent.Count == 0 ? [] : await _database.SaveAsync(sent, ct)).GetEnumerator();
            // Answers in the order given: the refused in their places, the others as the database answered.
            return refused.Select(r => (r ?? (written.MoveNext() ? written.Current : throw new InvalidOperationException("an answer per document")))
                with { Database = Database }).ToList();
        }
        finally
        {
            foreach (var doc in parsed) doc.Dispose();
        }
    }

    private static JsonDocument Parse(string document, int index)
    {
        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(document);
        }
        catch (JsonException e)
        {
            throw CouchReplicationException.InvalidArgument("document", $"number {index + 1} is not JSON: {e.Message}");
        }
        if (parsed.RootElement.ValueKind == JsonValueKind.Object) return parsed;
        parsed.Dispose();
        throw CouchReplicationException.InvalidArgument("document", $"number {index + 1} is not a JSON object");
    }

    private async Task EnsureDatabaseAsync(CancellationToken ct)
    {
        if (_checked) return;
        if (await _database.FindAsync(ct) is { } missing)
        {
            if (!_createDatabase)
                throw missing.Explain($"The database {Database} does not exist; use -CreateDatabase to create it.");
            await _database.CreateAsync(null, ct);
        }
        _checked = true;
    }

    /// <summary>Closes the database (a file's lock is released when no replication in this process uses it).</summary>
    public void Dispose() => _database.Dispose();
}
