using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Gets a server's persistent replications as replication documents, with their state.</para>
/// <para type="description">Reads the server's _replicator database and returns a
/// CouchReplicationDoc for each replication document (design documents left out), with State and
/// StateReason as the server gives them (_scheduler/docs, or the document's _replication_state on
/// a server without a scheduler). The fields the replicator writes itself (_rev, owner,
/// _replication_*) are not carried over, so a document can be saved with ToJson() and written to
/// another server with Start-CouchReplication -Server -Persistent. Passwords in the documents are
/// masked wherever they are shown and left out of ToJson() unless asked for.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CouchReplicationDoc")]
[OutputType(typeof(CouchReplicationDoc))]
public sealed class GetCouchReplicationDocCommand : CouchCmdlet
{
    /// <summary>The root URL of the CouchDB server whose _replicator database to read (credentials in it are masked wherever it is shown).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public override string? Server { get; set; }

    /// <summary>Document ids to get; wildcards allowed.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("DocId")]
    [SupportsWildcards]
    public string[]? Id { get; set; }

    /// <summary>Writes the matching documents; an exact id that matches nothing is an error.</summary>
    protected override void ProcessRecord() => OnServer(call =>
    {
        var docs = call.Run((s, ct) => s.ReplicationDocsAsync(ct));
        if (Id is null)
        {
            WriteObject(docs, enumerateCollection: true);
            return;
        }
        foreach (var id in Id)
        {
            var matches = TaskIds.Matching(docs, id, d => d.Id ?? "");
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(id))
                WriteError(PSValues.ErrorRecord(new CouchReplicationException(CouchErrorKind.NotFound,
                    $"No replication document '{id}' in {call.Server}_replicator (Get-CouchReplicationDoc -Server lists them)."), id));
            WriteObject(matches, enumerateCollection: true);
        }
    }, ServerCall.Masked(Server!));
}
