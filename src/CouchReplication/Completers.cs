using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace CouchReplication.Commands;

/// <summary>Completes -ReplicationId with the task ids of this session's replications, running ones first.</summary>
public sealed class ReplicationIdCompleter : IArgumentCompleter
{
    /// <summary>The ids that start with what was typed.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = wordToComplete.Trim('\'', '"');
        return ReplicationRegistry.Session.Tasks(includeFinished: true)
            .OrderBy(t => t.IsFinished)
            .Where(t => t.ReplicationId.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .DistinctBy(t => t.ReplicationId)
            .Select(t => new CompletionResult(t.ReplicationId, t.ReplicationId, CompletionResultType.ParameterValue, $"{t.State}: {t.Source} -> {t.Target}"));
    }
}

/// <summary>Completes -Type with the task types CouchDB's _active_tasks knows.</summary>
public sealed class TaskTypeCompleter : IArgumentCompleter
{
    /// <summary>The types that start with what was typed.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = wordToComplete.Trim('\'', '"');
        return CouchActiveTask.KnownTypes
            .Where(type => type.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .Select(type => new CompletionResult(type, type, CompletionResultType.ParameterValue, type));
    }
}
