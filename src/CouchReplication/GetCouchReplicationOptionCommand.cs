using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Gets the module's settings for this session.</para>
/// <para type="description">Returns a CouchReplicationOption: MaxJobs, how many replications
/// of this session may run at once, MaxRestarts, how often a one-shot replication is restarted
/// after a transient crash, and how many run and wait now. Set-CouchReplicationOption
/// changes it.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CouchReplicationOption")]
[OutputType(typeof(CouchReplicationOption))]
public sealed class GetCouchReplicationOptionCommand : PSCmdlet
{
    /// <summary>Writes the settings.</summary>
    protected override void EndProcessing() => WriteObject(CouchReplicationOption.Current());
}
