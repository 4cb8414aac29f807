using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Creates a CouchDB replication document.</para>
/// <para type="description">Builds a CouchReplicationDoc with one property per field of the
/// CouchDB/Cloudant replication document. The document is checked as Start-CouchReplication
/// would check it; pipe it there to run it, or call ToJson() for CouchDB's JSON.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "CouchReplicationDoc", DefaultParameterSetName = ReplicationDocParameters.DocumentSet)]
[OutputType(typeof(CouchReplicationDoc))]
public sealed class NewCouchReplicationDocCommand : PSCmdlet, IDynamicParameters
{
    private readonly ReplicationDocParameters _document = new();

    /// <summary>The replication document's fields, one parameter each (see <see cref="ReplicationDocParameters"/>).</summary>
    public object GetDynamicParameters() => _document.Parameters;

    /// <summary>Builds, checks and writes the document.</summary>
    protected override void ProcessRecord()
    {
        CouchReplicationDoc? doc = null;
        try
        {
            doc = ReplicationDocParameters.WithFullPaths(_document.BuildDoc(), SessionState.Path);
            foreach (var warning in doc.Validate()) WriteWarning(warning);
        }
        catch (CouchReplicationException e)
        {
            WriteError(PSValues.ErrorRecord(e, (object?)doc ?? _document.Typed(nameof(CouchReplicationDoc.Source))));
            return;
        }
        WriteObject(doc);
    }
}
