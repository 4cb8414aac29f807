using System.Collections;
using System.Management.Automation;
using System.Net;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Host.Tests;

/// <summary>
/// The ErrorRecord a user's script gets for each ErrorId: the stable id, its category, the object
/// it concerns, and no password anywhere in it: message, target object, category info, error
/// details, and the whole exception chain.
/// </summary>
public abstract class ErrorRecordTests<TServer>(TServer server) : HostedModuleTests<TServer>(server) where TServer : CouchServer
{
    private const string WrongPassword = "Wr0ng-Pa55";

    /// <summary>A command whose parameters carry the admin's credentials, run in a new session.</summary>
    private static Invocation Run(string command, params (string Name, object? Value)[] parameters)
    {
        using var session = new ModuleSession();
        return session.Run(command, [.. parameters, ("ErrorAction", "Continue")]);
    }

    /// <summary>A one-shot replication that fails without retrying.</summary>
    private static Invocation Replicate(string source, string target, params (string Name, object? Value)[] more) =>
        Run("Start-CouchReplication", [("Source", source), ("Target", target), ("RetriesPerRequest", 0), .. more]);

    /// <summary>Asserts the one ErrorRecord and returns it.</summary>
    private static ErrorRecord AssertError(Invocation run, string command, CouchErrorKind kind, ErrorCategory category, params string[] secrets)
    {
        Assert.Empty(run.Output);
        var error = Assert.Single(run.Errors);
        var exception = Assert.IsType<CouchReplicationException>(error.Exception);
        Assert.Equal(kind, exception.Kind);
        Assert.Equal($"CouchReplication.{kind},CouchReplication.Commands.{command.Replace("-", "")}Command", error.FullyQualifiedErrorId);
        Assert.Equal(category, error.CategoryInfo.Category);
        Assert.False(string.IsNullOrWhiteSpace(exception.Message));
        var everything = Everything(error);
        foreach (var secret in secrets.Append(CouchServer.AdminPassword))
            Assert.False(everything.Contains(secret, StringComparison.Ordinal), $"'{secret}' shows in the ErrorRecord:\n{everything}");
        return error;
    }

    /// <summary>Everything an ErrorRecord shows or carries, as text.</summary>
    private static string Everything(ErrorRecord error)
    {
        var parts = new List<string?>
        {
            error.ToString(), error.FullyQualifiedErrorId, error.ErrorDetails?.Message, error.ErrorDetails?.RecommendedAction,
            error.CategoryInfo.ToString(), error.CategoryInfo.GetMessage(), error.CategoryInfo.Activity, error.CategoryInfo.Reason,
            error.CategoryInfo.TargetName, error.CategoryInfo.TargetType,
            error.Exception.ToString(),
        };
        for (Exception? e = error.Exception; e is not null; e = e.InnerException) parts.AddRange(Properties(e));
        parts.AddRange(Properties(error.TargetObject));
        return string.Join("\n", parts);
    }

    /// <summary>An object as text and its public properties as text, as Format-List * shows them.</summary>
    private static IEnumerable<string?> Properties(object? value)
    {
        if (value is null) yield break;
        if (value is PSObject wrapped)
        {
            foreach (var property in wrapped.Properties) yield return $"{property.Name}: {property.Value}";
            value = wrapped.BaseObject;
        }
        yield return value.ToString();
        if (value is string) yield break;
        if (value is IEnumerable items) foreach (var item in items) yield return item?.ToString();
        foreach (var property in value.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0))
        {
            object? content;
            try { content = property.GetValue(value); }
            catch (Exception e) { content = e.Message; }
            yield return $"{property.Name}: {(content is IEnumerable list and not string ? string.Join(", ", list.Cast<object?>()) : content)}";
        }
    }

    /// <summary>A target object that is the URL of the end at fault (database <paramref name="db"/>), with no password in it.</summary>
    private static void AssertEndAtFault(ErrorRecord error, string db)
    {
        var end = Assert.IsType<string>(error.TargetObject);
        Assert.Contains(db, end);
        Assert.DoesNotContain(CouchServer.AdminPassword, end);
        Assert.DoesNotContain(WrongPassword, end);
    }

    [ServerFact]
    public async Task A_missing_target_without_CreateTarget_is_DbNotFound()
    {
        var sourceDb = await SeedAsync(3);
        var targetDb = CouchServer.NewDbName("absent");

        var error = AssertError(Replicate(Url(sourceDb), Url(targetDb)), "Start-CouchReplication", CouchErrorKind.DbNotFound, ErrorCategory.ObjectNotFound);

        AssertEndAtFault(error, targetDb);
        Assert.Contains(targetDb, error.Exception.Message);
    }

    [ServerFact]
    public async Task Compare_CouchDatabase_names_a_missing_target_in_DbNotFound_and_a_wrong_password_in_Unauthorized()
    {
        var sourceDb = await SeedAsync(3);
        var targetDb = CouchServer.NewDbName("absent");
        var wrong = Url(sourceDb).Replace($":{CouchServer.AdminPassword}@", $":{WrongPassword}@");

        var missing = AssertError(Run("Compare-CouchDatabase", ("Source", Url(sourceDb)), ("Target", Url(targetDb))), "Compare-CouchDatabase",
            CouchErrorKind.DbNotFound, ErrorCategory.ObjectNotFound);
        var unauthorized = AssertError(Run("Compare-CouchDatabase", ("Source", wrong), ("Target", Url(await NewDbAsync("target"))), ("RetriesPerRequest", 0)), "Compare-CouchDatabase",
            CouchErrorKind.Unauthorized, ErrorCategory.AuthenticationError, WrongPassword);

        AssertEndAtFault(missing, targetDb);
        Assert.StartsWith("The target database", missing.Exception.Message);
        AssertEndAtFault(unauthorized, sourceDb);
    }

    [ServerFact]
    public async Task A_wrong_password_is_Unauthorized()
    {
        var (sourceDb, targetDb) = await SeedWithTargetAsync(3);
        var wrong = Url(sourceDb).Replace($":{CouchServer.AdminPassword}@", $":{WrongPassword}@");

        var error = AssertError(Replicate(wrong, Url(targetDb), ("CreateTarget", true)), "Start-CouchReplication",
            CouchErrorKind.Unauthorized, ErrorCategory.AuthenticationError, WrongPassword);

        AssertEndAtFault(error, sourceDb);
        Assert.Equal(HttpStatusCode.NotFound, await Client.StatusAsync(targetDb));
    }

    [ServerFact]
    public async Task Conflicting_filters_are_InvalidArgument_before_any_request()
    {
        await using var proxy = new FaultProxy(Server.Url);
        var target = WithoutCredentials(Url(proxy, CouchServer.NewDbName("target")));

        var error = AssertError(Replicate(WithoutCredentials(Url(proxy, "source")), target, ("DocIds", new[] { "a" }), ("Filter", "app/f"),
            ("SourceCredential", AdminCredential), ("TargetCredential", AdminCredential)), "Start-CouchReplication",
            CouchErrorKind.InvalidArgument, ErrorCategory.InvalidArgument);

        Assert.Equal(target, error.TargetObject);
        Assert.StartsWith("doc_ids and filter", error.Exception.Message);
        Assert.Empty(proxy.Requests);
    }

    [ServerFact]
    public void A_negative_batch_size_in_a_new_document_is_InvalidArgument_with_the_document()
    {
        var run = Run("New-CouchReplicationDoc", ("Source", Url("source")), ("Target", Url("target")), ("WorkerBatchSize", -1));

        var error = AssertError(run, "New-CouchReplicationDoc", CouchErrorKind.InvalidArgument, ErrorCategory.InvalidArgument);

        var doc = Assert.IsType<CouchReplicationDoc>(error.TargetObject);
        Assert.Equal(-1, doc.WorkerBatchSize);
        Assert.StartsWith("worker_batch_size", error.Exception.Message);
    }

    [ServerFact]
    public async Task A_refused_port_is_Unreachable()
    {
        var sourceDb = await SeedAsync(3);
        var nobody = $"http://{CouchServer.AdminUser}:{CouchServer.AdminPassword}@127.0.0.1:{CouchServer.FreePort()}/target";

        var error = AssertError(Replicate(Url(sourceDb), nobody, ("CreateTarget", true)), "Start-CouchReplication",
            CouchErrorKind.Unreachable, ErrorCategory.ConnectionError);

        AssertEndAtFault(error, "/target");
    }

    [ServerFact]
    public async Task A_missing_filter_is_FilterNotFound()
    {
        var (sourceDb, targetDb) = await SeedWithTargetAsync(3);

        var error = AssertError(Replicate(WithoutCredentials(Url(sourceDb)), WithoutCredentials(Url(targetDb)), ("CreateTarget", true), ("Filter", "nodesign/bytype"),
            ("SourceCredential", AdminCredential), ("TargetCredential", AdminCredential)), "Start-CouchReplication",
            CouchErrorKind.FilterNotFound, ErrorCategory.ObjectNotFound);

        // The filter's design document on the source is the end at fault.
        AssertEndAtFault(error, sourceDb + "/_design/nodesign");
        Assert.Contains("nodesign/bytype", error.Exception.Message);
        Assert.Equal(HttpStatusCode.NotFound, await Client.StatusAsync(targetDb));
    }

    [ServerFact]
    public async Task A_password_in_the_target_URL_shows_in_no_ErrorRecord_raised_before_the_run()
    {
        var (sourceDb, targetDb) = await SeedWithTargetAsync(3);

        var invalid = AssertError(Replicate(Url(sourceDb), Url(targetDb), ("DocIds", new[] { "a" }), ("Filter", "app/f")), "Start-CouchReplication",
            CouchErrorKind.InvalidArgument, ErrorCategory.InvalidArgument);
        var noFilter = AssertError(Replicate(Url(sourceDb), Url(targetDb), ("CreateTarget", true), ("Filter", "nodesign/bytype")), "Start-CouchReplication",
            CouchErrorKind.FilterNotFound, ErrorCategory.ObjectNotFound);

        AssertEndAtFault(invalid, targetDb);
        // The filter is looked up on the source: the source is the end at fault.
        AssertEndAtFault(noFilter, sourceDb);
    }

    /// <summary>
    /// A replication through a proxy that answers some requests with <paramref name="fault"/>: the
    /// ErrorRecord of <paramref name="kind"/>, whose target object is the target's masked URL.
    /// </summary>
    private async Task FailsThroughProxyAsync(Func<RecordedRequest, string, Fault?> fault, CouchErrorKind kind, ErrorCategory category,
        bool sourceAtFault = false, params (string Name, object? Value)[] more)
    {
        var (sourceDb, targetDb) = await SeedWithTargetAsync(3);
        await using var proxy = new FaultProxy(Server.Url);
        proxy.Faults = r => fault(r, sourceDb);

        var error = AssertError(Replicate(Url(proxy, sourceDb), Url(proxy, targetDb), [("CreateTarget", true), .. more]), "Start-CouchReplication", kind, category);

        AssertEndAtFault(error, sourceAtFault ? sourceDb : targetDb);
    }

    [ServerFact]
    public Task A_refused_request_is_Forbidden() => FailsThroughProxyAsync(
        (r, _) => r.Kind == "_revs_diff" ? new Fault.Status(403) : null, CouchErrorKind.Forbidden, ErrorCategory.PermissionDenied);

    [ServerFact]
    public Task A_server_failing_past_the_retries_is_ServerError() => FailsThroughProxyAsync(
        (r, _) => r.Kind == "_bulk_docs" ? new Fault.Status(500) : null, CouchErrorKind.ServerError, ErrorCategory.ProtocolError);

    [ServerFact]
    public Task No_answer_within_the_connection_timeout_is_Timeout() => FailsThroughProxyAsync(
        (r, _) => r.Kind == "_revs_diff" ? new Fault.Stall(TimeSpan.FromSeconds(5)) : null, CouchErrorKind.Timeout, ErrorCategory.OperationTimeout,
        false, ("ConnectionTimeout", 300));

    [ServerFact]
    public Task An_html_page_for_the_source_is_InvalidResponse() => FailsThroughProxyAsync(
        (r, sourceDb) => r.Database == sourceDb ? new Fault.Answer(200, "text/html", "<html><body>Welcome to nginx!</body></html>") : null,
        CouchErrorKind.InvalidResponse, ErrorCategory.InvalidResult, sourceAtFault: true);

    [ServerFact]
    public void Stopping_an_unknown_replication_id_is_NotFound_with_that_id()
    {
        var error = AssertError(Run("Stop-CouchReplication", ("ReplicationId", new[] { "no-such-replication" })), "Stop-CouchReplication",
            CouchErrorKind.NotFound, ErrorCategory.ObjectNotFound);

        Assert.Equal("no-such-replication", error.TargetObject);
    }
}

public sealed class ErrorRecordsOnPouchDb(PouchDbServer server) : ErrorRecordTests<PouchDbServer>(server);

public sealed class ErrorRecordsOnCouchDb(CouchDbServer server) : ErrorRecordTests<CouchDbServer>(server);
