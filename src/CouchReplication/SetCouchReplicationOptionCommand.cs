using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Changes the module's settings for this session.</para>
/// <para type="description">-MaxJobs sets how many replications of this session run at once,
/// as CouchDB's max_jobs does for a server's replicator: the others wait in state Pending, in the
/// order they were started, and Get-CouchActiveTask shows their place in the queue. A continuous
/// replication counts while it catches up and gives its turn away once it only follows new
/// changes. Against a server that answers with 5xx or 429, fewer run until its answers are clean
/// again. -MaxRestarts sets how often a one-shot replication that crashes for a transient reason
/// (5xx, connection loss, timeouts) runs again from its checkpoint before it is Failed; the waits
/// double from 2 seconds. The settings last until the session ends.</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "CouchReplicationOption", SupportsShouldProcess = true)]
[OutputType(typeof(CouchReplicationOption))]
public sealed class SetCouchReplicationOptionCommand : PSCmdlet
{
    /// <summary>How many replications run at once (default 20); raising it starts waiting ones at once.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxJobs { get; set; }

    /// <summary>
    /// How often a one-shot replication is restarted after a transient crash before it is Failed
    /// (default 5: after 2, 4, 8, 16 and 32 seconds; 0 fails it at the first crash). It applies to
    /// replications started after the change; continuous ones restart for as long as they are not stopped.
    /// </summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MaxRestarts { get; set; }

    /// <summary>Write the settings after the change.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Applies the settings given.</summary>
    protected override void EndProcessing()
    {
        if (MyInvocation.BoundParameters.ContainsKey(nameof(MaxJobs)) && ShouldProcess("this session's replications", $"Run at most {MaxJobs} at once"))
            ReplicationRegistry.Session.MaxJobs = MaxJobs;
        if (MyInvocation.BoundParameters.ContainsKey(nameof(MaxRestarts))
            && ShouldProcess("one-shot replications started from now on", $"Restart at most {MaxRestarts} times after a transient crash"))
            ReplicationRegistry.Session.MaxRestarts = MaxRestarts;
        if (PassThru) WriteObject(CouchReplicationOption.Current());
    }
}
