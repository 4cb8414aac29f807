using System.Collections.Concurrent;
using System.Diagnostics;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using CouchReplication.ServerMode;

namespace CouchReplication.Commands;

/// <summary>
/// A cmdlet's requests to a server (<c>-Server</c>): waits for each engine call on the pipeline
/// thread, which alone may write, showing the engine's messages as they come, and cancels the
/// call when the cmdlet is stopped (Ctrl+C).
/// </summary>
internal sealed class ServerCall : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Where each server task written in this session came from, credential included, so that
    /// Stop-CouchReplication given the task reaches the same server as the same user. Kept beside
    /// the task, not in it: the task is printed, converted and exported; the credential never is.
    /// </summary>
    private static readonly ConditionalWeakTable<CouchActiveTask, Origin> Origins = new();

    /// <summary>Servers whose listing caveat this session has shown: once is enough.</summary>
    private static readonly ConcurrentDictionary<string, bool> Cautioned = new(StringComparer.OrdinalIgnoreCase);

    private readonly PSCmdlet _cmdlet;
    private readonly Origin _origin;
    private readonly CancellationTokenSource _stop = new();

    private ServerCall(PSCmdlet cmdlet, ServerReplicator replicator, Origin origin)
    {
        _cmdlet = cmdlet;
        Replicator = replicator;
        _origin = origin;
    }

    /// <summary>A server as a cmdlet was given it: the URL (user info and all) and the -Credential.</summary>
    public sealed record Origin(string Server, PSCredential? Credential);

    public ServerReplicator Replicator { get; }

    /// <summary>The server's URL, password masked.</summary>
    public string Server => Replicator.Server;

    /// <summary>Checks the server URL; an invalid one is a CouchReplication.InvalidArgument error.</summary>
    public static ServerCall Open(PSCmdlet cmdlet, string server, PSCredential? credential, bool narrateRequests = false) =>
        new(cmdlet, ServerReplicator.Connect(server, PSValues.Credential(credential), narrateRequests), new Origin(server, credential));

    /// <summary>
    /// The server a task from an earlier -Server call belongs to, with the credential it was read
    /// with; null for this session's replications. A task that lost its origin (exported and
    /// imported) names its server still, without credential.
    /// </summary>
    public static Origin? OriginOf(CouchActiveTask task) =>
        Origins.TryGetValue(task, out var origin) ? origin : task.Server is { } server ? new Origin(server, null) : null;

    /// <summary>The task as written to the pipeline: it names its server and remembers how it was reached.</summary>
    public CouchActiveTask Tagged(CouchActiveTask task)
    {
        var tagged = task with { Server = Replicator.Url };
        Origins.AddOrUpdate(tagged, _origin);
        return tagged;
    }

    /// <summary>The type name that selects the server tasks' table view, with its Node and DocId columns.</summary>
    public const string ServerTaskView = "CouchReplication.CouchActiveTask#Server";

    /// <summary>A server task as written to the pipeline: still a CouchActiveTask, shown in the server tasks' table.</summary>
    public static PSObject Shown(CouchActiveTask task)
    {
        var shown = new PSObject(task);
        shown.TypeNames.Insert(0, ServerTaskView);
        return shown;
    }

    /// <summary>The server URL as an error may show it.</summary>
    public static string Masked(string server) => CouchReplicationDoc.MaskCredentials(server);

    /// <summary>Waits for <paramref name="call"/>, writing its messages and, if given, <paramref name="progress"/> meanwhile.</summary>
    public T Run<T>(Func<ServerReplicator, CancellationToken, Task<T>> call, ProgressRecord? progress = null)
    {
        var task = call(Replicator, _stop.Token);
        var done = ((IAsyncResult)task).AsyncWaitHandle;
        var waited = Stopwatch.StartNew();
        try
        {
            while (!done.WaitOne(Poll))
            {
                // Once stopped, the pipeline takes no more output; the call is cancelling itself.
                if (_stop.IsCancellationRequested) continue;
                Messages.Write(_cmdlet, Replicator.TryTakeMessage);
                if (progress is null) continue;
                progress.StatusDescription = $"Waiting for {Server} ({waited.Elapsed.TotalSeconds:0} s)";
                _cmdlet.WriteProgress(progress);
            }
            if (!_stop.IsCancellationRequested)
            {
                Messages.Write(_cmdlet, Replicator.TryTakeMessage);
                if (Replicator.ListingCaveat is { } caveat && Cautioned.TryAdd(Replicator.Url, true)) _cmdlet.WriteWarning(caveat);
                if (progress is not null)
                {
                    progress.RecordType = ProgressRecordType.Completed;
                    _cmdlet.WriteProgress(progress);
                }
            }
        }
        catch (PipelineStoppedException)
        {
            // Stopped while writing: the call finishes cancelling (on the server too) before its connections are closed.
            done.WaitOne();
            throw;
        }
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Ctrl+C: cancels the call under way.</summary>
    public void Stop() => _stop.Cancel();

    public void Dispose() => Replicator.Dispose();
}
