using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>Where the engine's lines for the user come from: a task or a server's replicator.</summary>
internal delegate bool MessageSource(out ReplicationMessage message);

/// <summary>Writes the engine's lines as warnings and verbose lines, on the pipeline thread.</summary>
internal static class Messages
{
    public static void Write(Cmdlet cmdlet, MessageSource source)
    {
        while (source(out var message))
            if (message.IsWarning) cmdlet.WriteWarning(message.Text);
            else if (message.IsDebug) cmdlet.WriteDebug(message.Text);
            else cmdlet.WriteVerbose(message.Text);
    }
}
