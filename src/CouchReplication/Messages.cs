using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>Where the engine's lines for the user come from: a task or a server's replicator.</summary>
internal delegate bool MessageSource(out ReplicationMessage message);

/// <summary>Writes the engine's lines as warnings, verbose and debug lines, on the pipeline thread.</summary>
internal static class Messages
{
    public static void Write(PSCmdlet cmdlet, MessageSource source)
    {
        while (source(out var message))
            if (message.IsWarning) cmdlet.WriteWarning(message.Text);
            else if (message.IsDebug) cmdlet.WriteDebug(message.Text);
            else Verbose(cmdlet, message.Text);
    }

    /// <summary>
    /// A verbose line; under -Debug without -Verbose, a debug line instead. PowerShell makes verbose
    /// lines of a compiled cmdlet called with -Debug alone ask "Continue with this operation?"
    /// (Inquire): a user narrating every request for a support case would answer a prompt per line.
    /// </summary>
    public static void Verbose(PSCmdlet cmdlet, string text)
    {
        var bound = cmdlet.MyInvocation.BoundParameters;
        if (bound.TryGetValue("Debug", out var debug) && ((SwitchParameter)debug).IsPresent && !bound.ContainsKey("Verbose"))
            cmdlet.WriteDebug(text);
        else
            cmdlet.WriteVerbose(text);
    }
}
