using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Creates a CouchDB replication document.</para>
/// <para type="description">Builds a CouchReplicationDoc with one property per field of the
/// CouchDB/Cloudant replication document. The document is checked as Start-CouchReplication
/// would check it; pipe it there to run it, or call ToJson() for CouchDB's JSON.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "CouchReplicationDoc", DefaultParameterSetName = DocumentSet)]
[OutputType(typeof(CouchReplicationDoc))]
public sealed class NewCouchReplicationDocCommand : ReplicationDocCmdlet
{
    /// <summary>Builds, checks and writes the document.</summary>
    protected override void ProcessRecord()
    {
        var doc = BuildDoc();
        try
        {
            foreach (var warning in ReplicationSettings.From(doc).Warnings) WriteWarning(warning);
        }
        catch (CouchReplicationException e)
        {
            WriteError(PSValues.ErrorRecord(e, doc));
            return;
        }
        WriteObject(doc);
    }
}
