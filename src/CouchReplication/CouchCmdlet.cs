using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// The base of the cmdlets that act on this session's replications or, with <c>-Server</c>, on a
/// CouchDB server's replicator: the two shared parameters, the server call that Ctrl+C cancels,
/// and the one way a server's failure becomes an error record.
/// </summary>
public abstract class CouchCmdlet : PSCmdlet
{
    private volatile ServerCall? _server;

    /// <summary>
    /// The root URL of a CouchDB server whose replicator to use instead of this session's
    /// (credentials in it are masked wherever it is shown).
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public virtual string? Server { get; set; }

    /// <summary>
    /// Credentials for -Server, winning over user info in its URL. Listing a server's tasks,
    /// cancelling replications and deleting _replicator documents are for a server admin.
    /// </summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>-Debug, or $DebugPreference asking for debug lines: each HTTP request is narrated.</summary>
    private protected bool Debugging =>
        MyInvocation.BoundParameters.TryGetValue("Debug", out var debug) ? ((SwitchParameter)debug).IsPresent
        : GetVariableValue("DebugPreference") is ActionPreference preference && preference != ActionPreference.SilentlyContinue;

    /// <summary>Ctrl+C: cancels the requests to the server, which cancels a replication waited for there.</summary>
    protected override void StopProcessing() => _server?.Stop();

    /// <summary>
    /// Runs <paramref name="work"/> against -Server, or the server <paramref name="origin"/> names
    /// (a task's; -Credential still wins); a failure is written as an error record about
    /// <paramref name="errorTarget"/>, and Ctrl+C ends it quietly. Returns whether it finished.
    /// </summary>
    private protected bool OnServer(Action<ServerCall> work, object? errorTarget, ServerCall.Origin? origin = null)
    {
        try
        {
            using var call = ServerCall.Open(this, origin?.Server ?? Server!, Credential ?? origin?.Credential, Debugging);
            _server = call;
            work(call);
            return true;
        }
        catch (CouchReplicationException e)
        {
            WriteError(PSValues.ErrorRecord(e, errorTarget));
        }
        catch (OperationCanceledException) when (Stopping)
        {
            // Ctrl+C: the engine has cancelled what it was doing on the server.
        }
        finally
        {
            _server = null;
        }
        return false;
    }
}
