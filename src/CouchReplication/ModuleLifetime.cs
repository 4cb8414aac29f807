using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>Stops the session's replications when the module is removed, so none outlives it unseen.</summary>
public sealed class ModuleLifetime : IModuleAssemblyCleanup
{
    /// <summary>Called by Remove-Module.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo) => ReplicationRegistry.Session.StopAll(TimeSpan.FromSeconds(10));
}
