using System.Diagnostics;
using System.Management.Automation;
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
    private readonly Cmdlet _cmdlet;
    private readonly CancellationTokenSource _stop = new();

    private ServerCall(Cmdlet cmdlet, ServerReplicator replicator)
    {
        _cmdlet = cmdlet;
        Replicator = replicator;
    }

    public ServerReplicator Replicator { get; }

    /// <summary>The server's URL, password masked.</summary>
    public string Server => Replicator.Server;

    /// <summary>Checks the server URL; an invalid one is a CouchReplication.InvalidArgument error.</summary>
    public static ServerCall Open(Cmdlet cmdlet, string server, PSCredential? credential) =>
        new(cmdlet, ServerReplicator.Connect(server, PSValues.Credential(credential)));

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
