using System.Management.Automation;
using System.Text.Json;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Writes documents into a CouchDB database or a database file, as an application does.</para>
/// <para type="description">Takes documents from the pipeline (hashtables, objects such as
/// ConvertFrom-Json or Import-Csv output, or JSON text) and writes them with _bulk_docs, in batches
/// of -BatchSize: a document without _rev is new (or takes the place of a deleted one); one with
/// _rev becomes the next revision of that revision, which must be a leaf. A document without _id
/// is given a new random id. The database gives each revision its id, so this is how data is
/// written, not how it is copied: to copy a database with its revision ids and history, replicate
/// it with Start-CouchReplication.</para>
/// <para type="description">It seeds a database file for a demo or for a Pester test of an ops
/// script without any server, and loads data a script made into a server database. Attachments go
/// in _attachments with base64 data and a content_type; "stub": true keeps one the revision
/// continued had.</para>
/// <para type="description">A refused document (a conflict: it exists and no _rev, or an old one,
/// was given; an id starting with _ other than _design/) is a non-terminating error naming it, and
/// the others are written. A missing database without -CreateDatabase, an unreachable server or a
/// refused credential stops the command. With -PassThru, each written document's id and new
/// revision (CouchDocumentWrite) is returned.</para>
/// </summary>
[Cmdlet(VerbsCommon.Add, "CouchDocument", SupportsShouldProcess = true)]
[OutputType(typeof(CouchDocumentWrite))]
public sealed class AddCouchDocumentCommand : PSCmdlet, IDisposable
{
    private readonly List<string> _batch = [];
    private readonly CancellationTokenSource _stop = new();
    private CouchDocumentWriter? _writer;

    /// <summary>
    /// The database to write to: a URL (<c>https://host:5984/orders</c>; credentials in it are
    /// masked wherever it is shown) or the path of a database file (<c>./orders.couchdb</c>).
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Database { get; set; } = null!;

    /// <summary>A document: a hashtable, an object whose properties are its fields, or a JSON object as text.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object InputObject { get; set; } = null!;

    /// <summary>Credentials for a database on a server, winning over user info in its URL.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Create the database (or the database file) when it does not exist.</summary>
    [Parameter]
    public SwitchParameter CreateDatabase { get; set; }

    /// <summary>How many documents go in one _bulk_docs request (one transaction for a file).</summary>
    [Parameter]
    [ValidateRange(1, 10000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>Return a CouchDocumentWrite (Id, Rev) for each document written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Accept any TLS certificate from the server (self-signed test servers). Warns: the connection is not authenticated.</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>Checks the database's URL or path; nothing is sent yet.</summary>
    protected override void BeginProcessing()
    {
        try
        {
            var database = ReplicationDocParameters.FullPath(Database, SessionState.Path)!;
            _writer = CouchDocumentWriter.Open(database, PSValues.Credential(Credential), CreateDatabase, SkipCertificateCheck);
        }
        catch (CouchReplicationException e)
        {
            ThrowTerminatingError(PSValues.ErrorRecord(e, Database));
        }
        if (SkipCertificateCheck)
            WriteWarning("The server's TLS certificate is not checked (-SkipCertificateCheck): anyone between here and there can read and change the data.");
    }

    /// <summary>Adds one document to the batch; a full batch is written.</summary>
    protected override void ProcessRecord()
    {
        string json;
        try
        {
            json = Json(InputObject);
        }
        catch (CouchReplicationException e)
        {
            WriteError(PSValues.ErrorRecord(e, InputObject));
            return;
        }
        _batch.Add(json);
        if (_batch.Count >= BatchSize) WriteBatch();
    }

    /// <summary>Writes what is left.</summary>
    protected override void EndProcessing()
    {
        if (_batch.Count > 0) WriteBatch();
    }

    /// <summary>Ctrl+C: the request in flight is cancelled; what a file transaction had not committed is not written.</summary>
    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>Closes the database.</summary>
    public void Dispose()
    {
        _writer?.Dispose();
        _stop.Dispose();
    }

    private void WriteBatch()
    {
        var batch = _batch.ToList();
        _batch.Clear();
        if (!ShouldProcess(_writer!.Database, $"Write {batch.Count} document(s)")) return;
        IReadOnlyList<CouchDocumentWrite> written;
        try
        {
            written = _writer.WriteAsync(batch, _stop.Token).GetAwaiter().GetResult();
        }
        catch (CouchReplicationException e)
        {
            ThrowTerminatingError(PSValues.ErrorRecord(e, _writer.Database));
            return;
        }
        catch (OperationCanceledException) when (Stopping)
        {
            return;
        }
        foreach (var document in written)
        {
            if (document.Ok)
            {
                if (PassThru) WriteObject(document);
                continue;
            }
            WriteError(PSValues.ErrorRecord(document.Refusal(), document.Id));
        }
    }

    /// <summary>A document as JSON: text must be a JSON object, anything else must have named fields.</summary>
    private static string Json(object input)
    {
        var plain = PSValues.ToPlain(input);
        return plain switch
        {
            string text => JsonObjectText(text),
            Dictionary<string, object?> fields => JsonSerializer.Serialize(fields),
            _ => throw CouchReplicationException.InvalidArgument("InputObject",
                $"a document is a hashtable, an object with properties or JSON text, not {plain?.GetType().Name ?? "null"}"),
        };
    }

    private static string JsonObjectText(string text)
    {
        try
        {
            using var parsed = JsonDocument.Parse(text);
            if (parsed.RootElement.ValueKind == JsonValueKind.Object) return text;
        }
        catch (JsonException e)
        {
            throw CouchReplicationException.InvalidArgument("InputObject", $"the text is not JSON: {e.Message}");
        }
        throw CouchReplicationException.InvalidArgument("InputObject", "the text is JSON but not an object ({...})");
    }
}
