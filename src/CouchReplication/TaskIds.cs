using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>Matching task ids as users type them: wildcards, and the bare replication id for the task id.</summary>
internal static class TaskIds
{
    /// <summary>The tasks one of whose <paramref name="ids"/> (a task id, or a server's document id) matches <paramref name="pattern"/>.</summary>
    public static List<T> Matching<T>(IEnumerable<T> tasks, string pattern, params Func<T, string?>[] ids)
    {
        var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
        // A bare replication id matches its task id, whatever +continuous/+create_target follow it.
        bool Matches(string? id) => id is not null && (wildcard.IsMatch(id) || id.Split('+')[0].Equals(pattern, StringComparison.OrdinalIgnoreCase));
        return tasks.Where(t => ids.Any(id => Matches(id(t)))).ToList();
    }

    public static ErrorRecord NotFound(string id) => PSValues.ErrorRecord(
        new CouchReplicationException(CouchErrorKind.NotFound, $"No replication with id '{id}' in this session (Get-CouchActiveTask -All lists them)."), id);

    public static ErrorRecord NotFound(string id, string server) => PSValues.ErrorRecord(
        new CouchReplicationException(CouchErrorKind.NotFound, $"No task with id or document id '{id}' on {server} (Get-CouchActiveTask -Server -All lists them)."), id);
}
