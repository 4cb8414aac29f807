using System.Management.Automation;
using System.Management.Automation.Runspaces;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Host.Tests;

/// <summary>
/// What one pipeline gave: its output and every stream, copied out of the pipeline. Progress is
/// as each record was when it was written, as a console host shows it; ProgressKept is what the
/// pipeline's progress stream holds afterwards, as hosts that collect records (jobs, runbooks) keep it.
/// </summary>
internal sealed record Invocation(
    IReadOnlyList<PSObject> Output,
    IReadOnlyList<ErrorRecord> Errors,
    IReadOnlyList<WarningRecord> Warnings,
    IReadOnlyList<VerboseRecord> Verbose,
    IReadOnlyList<ProgressRecord> Progress,
    IReadOnlyList<ProgressRecord> ProgressKept)
{
    /// <summary>Runs <paramref name="ps"/> and collects what it gave.</summary>
    public static Invocation Of(PowerShell ps)
    {
        var written = new List<ProgressRecord>();
        ps.Streams.Progress.DataAdded += (_, e) => written.Add(Copy(ps.Streams.Progress[e.Index]));
        var output = ps.Invoke();
        return new([.. output], [.. ps.Streams.Error], [.. ps.Streams.Warning], [.. ps.Streams.Verbose], written, [.. ps.Streams.Progress]);
    }

    private static ProgressRecord Copy(ProgressRecord record) => new(record.ActivityId, record.Activity, record.StatusDescription)
    {
        ParentActivityId = record.ParentActivityId,
        CurrentOperation = record.CurrentOperation,
        PercentComplete = record.PercentComplete,
        SecondsRemaining = record.SecondsRemaining,
        RecordType = record.RecordType,
    };

    /// <summary>The one output object, unwrapped, of type <typeparamref name="T"/>.</summary>
    public T Single<T>() => Assert.IsType<T>(Assert.Single(Output).BaseObject);
}

/// <summary>
/// A PowerShell session in this process, as a user's is: a runspace of the SDK's default
/// session state with the built module (out/CouchReplication, which dotnet build assembles)
/// imported by its manifest.
/// </summary>
internal sealed class ModuleSession : IDisposable
{
    public static string ModulePath { get; } = Path.Combine(RepoPaths.Root, "out", "CouchReplication", "CouchReplication.psd1");

    public ModuleSession()
    {
        Assert.True(File.Exists(ModulePath), $"The module is not built: {ModulePath} (dotnet build CouchReplication.sln assembles it)");
        Runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        Runspace.Open();
        var imported = Run("Import-Module", ("Name", ModulePath), ("PassThru", true));
        Assert.Empty(imported.Errors);
        Assert.Equal("CouchReplication", imported.Single<PSModuleInfo>().Name);
    }

    public Runspace Runspace { get; }

    /// <summary>A pipeline in this session, for a test that starts, watches or stops it itself.</summary>
    public PowerShell Pipeline()
    {
        var ps = PowerShell.Create();
        ps.Runspace = Runspace;
        return ps;
    }

    /// <summary>Runs one command with named parameters (a value of true for a switch) and waits for it.</summary>
    public Invocation Run(string command, params (string Name, object? Value)[] parameters)
    {
        using var ps = Command(command, parameters);
        return Invocation.Of(ps);
    }

    /// <summary>A pipeline of one command with named parameters, not yet started.</summary>
    public PowerShell Command(string command, params (string Name, object? Value)[] parameters)
    {
        var ps = Pipeline().AddCommand(command);
        foreach (var (name, value) in parameters)
            if (value is true) ps.AddParameter(name);
            else ps.AddParameter(name, value);
        return ps;
    }

    /// <summary>This session's view of a replication task (Get-CouchActiveTask -All), the newest of that id, or null.</summary>
    public CouchActiveTask? Task(string replicationId)
    {
        var found = Run("Get-CouchActiveTask", ("ReplicationId", replicationId), ("All", true), ("ErrorAction", "SilentlyContinue"));
        return found.Output.Select(o => o.BaseObject).OfType<CouchActiveTask>().LastOrDefault();
    }

    public void Dispose() => Runspace.Dispose();
}
