using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>Matching task ids as users type them: wildcards, and the bare replication id for the task id.</summary>
internal static class TaskIds
{
    public static List<T> Matching<T>(IEnumerable<T> tasks, string pattern, Func<T, string> taskId)
    {
        var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
        // A bare replication id matches its task id, whatever +continuous/+create_target follow it.
        return tasks.Where(t => wildcard.IsMatch(taskId(t)) || taskId(t).Split('+')[0].Equals(pattern, StringComparison.OrdinalIgnoreCase)).ToList();
    }

    public static ErrorRecord NotFound(string id) => PSValues.ErrorRecord(
        new CouchReplicationException(CouchErrorKind.NotFound, $"No replication with id '{id}' in this session (Get-CouchActiveTask -All lists them)."), id);
}
