using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using CouchReplication.Document;
using CouchReplication.Http;
using CouchReplication.Json;

namespace CouchReplication.ServerMode;

/// <summary>
/// Drives a server's own replicator instead of the module's engine: starts replications through
/// <c>POST /_replicate</c> or as <c>_replicator</c> documents, lists the server's
/// <c>_active_tasks</c> with the scheduler's states, and stops replications. The server's failures
/// are raised as the engine's <see cref="CouchReplicationException"/> kinds; its credentials and
/// the endpoints' go into requests only, never into a result, message or error.
/// </summary>
public sealed class ServerReplicator : IDisposable
{
    /// <summary>How long a continuous replication started through <c>_replicate</c> is given to leave the initializing state before its state is reported.</summary>
    private static readonly TimeSpan StateWait = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan StatePoll = TimeSpan.FromMilliseconds(200);

    /// <summary>How long cancelling an interrupted one-shot replication may take.</summary>
    private static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(30);

    private readonly CouchEndpoint _endpoint;

    /// <summary>The user named in the server URL the caller gave, if any: a -Credential is not shown in the URL.</summary>
    private readonly string? _givenUser;

    /// <summary>Reads, retried on transient failures as the engine retries its own.</summary>
    private readonly CouchHttp _reads;

    /// <summary>
    /// Writes, not retried: a retried <c>_replicate</c> would start the replication again, a
    /// retried document write would conflict with its own first attempt. A one-shot
    /// <c>_replicate</c> answers only when the replication is done, so answers may take as long as they take.
    /// </summary>
    private readonly CouchHttp _writes;

    private readonly ConcurrentQueue<ReplicationMessage> _messages = new();
    private ServerDialect? _dialect;

    private ServerReplicator(CouchEndpoint endpoint, string? givenUser, bool narrateRequests)
    {
        _endpoint = endpoint;
        _givenUser = givenUser;
        var settings = new HttpSettings(HttpConnections: 4, ConnectionTimeout: TimeSpan.FromSeconds(30), RetriesPerRequest: 5);
        Action<string>? narrate = narrateRequests ? Debug : null;
        _reads = new CouchHttp(endpoint, settings, Verbose, narrate);
        _writes = new CouchHttp(endpoint, settings with { RetriesPerRequest = 0, AnswerTimeout = Timeout.InfiniteTimeSpan }, Verbose, narrate);
    }

    /// <summary>
    /// Prepares requests to the server at <paramref name="server"/> (its root URL); nothing is
    /// sent yet. <paramref name="credential"/> wins over user info in the URL.
    /// </summary>
    /// <param name="server">The server's root URL.</param>
    /// <param name="credential">A server admin's credentials.</param>
    /// <param name="narrateRequests">Tell each HTTP request and its answer among the messages (<see cref="ReplicationMessage.IsDebug"/>), URLs redacted.</param>
    public static ServerReplicator Connect(string server, CouchCredential? credential = null, bool narrateRequests = false)
    {
        var endpoint = CouchEndpoint.ParseServer(server, credential);
        return new(endpoint, CouchCredential.FromUserInfo(new Uri(server.Trim()))?.UserName, narrateRequests);
    }

    /// <summary>The server's URL as the caller gave it, password masked: user info only where the URL had it.</summary>
    public string Server => CouchEndpoint.Redact(_endpoint.DatabaseUri, _givenUser);

    /// <summary>The server's URL without user info, as tasks name it in <see cref="CouchActiveTask.Server"/>.</summary>
    public string Url => CouchEndpoint.Redact(_endpoint.DatabaseUri, userName: null);

    /// <summary>Rows asked for per page of <c>_scheduler/jobs</c> and <c>_scheduler/docs</c>, which give 100 unless asked.</summary>
    internal int PageSize { get; set; } = 500;

    /// <summary>
    /// Once replications have been listed: what this server's listings cannot show (a server
    /// without <c>_scheduler</c>), for the caller to tell its user once; null when they show everything.
    /// </summary>
    public string? ListingCaveat { get; private set; }

    /// <summary>Takes the next line for the user (the requests sent, warnings), if there is one.</summary>
    public bool TryTakeMessage(out ReplicationMessage message) => _messages.TryDequeue(out message!);

    /// <summary>
    /// Runs a one-shot replication on the server and returns its answer. Cancelling
    /// <paramref name="ct"/> cancels the replication on the server too: it would go on without anyone waiting.
    /// </summary>
    public Task<CouchReplicationResult> ReplicateAsync(CouchReplicationDoc doc, CancellationToken ct = default) => Mapped(async () =>
    {
        var request = ReplicateRequest.From(doc);
        if (request.Continuous)
            throw CouchReplicationException.InvalidArgument("continuous", "a continuous replication does not end: start it instead of waiting for it");
        var server = await DialectAsync(ct);
        Verbose($"POST {Server}_replicate: {request}, waiting for the server to finish");
        var started = Stopwatch.StartNew();
        try
        {
            using var answer = await _writes.PostJsonAsync("_replicate", request.Body(server), ct);
            var result = ReplicateAnswer.ToResult(answer.RootElement, request);
            result.Duration = started.Elapsed;
            return result;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await CancelInterruptedAsync(request, server);
            throw;
        }
    });

    /// <summary>
    /// Reads the server's persistent replications back as documents (<c>_replicator</c>, design
    /// documents left out), each with the state the server gives its replication, so they can be
    /// exported (<see cref="CouchReplicationDoc.ToJson"/>) and written to another server. The
    /// fields the replicator itself writes (<c>_rev</c>, <c>owner</c>, <c>_replication_*</c>)
    /// become <see cref="CouchReplicationDoc.State"/> and are not carried over.
    /// </summary>
    public Task<IReadOnlyList<CouchReplicationDoc>> ReplicationDocsAsync(CancellationToken ct = default) => Mapped(async () =>
    {
        await DialectAsync(ct);
        Verbose($"GET {Server}{ReplicatorDocs.Database}/_all_docs?include_docs=true");
        var docs = await ReplicatorDocs.ReadAllAsync(_reads, AsDoc, ct);
        // One state per document: where a cluster lists a document twice, the running copy tells.
        var states = (await ListAsync(includeInactive: true, ct))
            .Where(t => t.DocId is not null && t.Database == ReplicatorDocs.Database)
            .GroupBy(t => t.DocId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.State == CouchReplicationState.Running).First(), StringComparer.Ordinal);
        foreach (var doc in docs)
        {
            var state = states.GetValueOrDefault(doc.Id ?? "");
            doc.State = state?.State ?? CouchReplicationState.Pending;
            doc.StateReason = state?.Error;
        }
        return (IReadOnlyList<CouchReplicationDoc>)docs;
    });

    private static CouchReplicationDoc AsDoc(JsonElement json)
    {
        var fields = PlainJson.ParseObject(json.GetRawText(), "replication document");
        foreach (var written in ReplicationSettings.WrittenByCouchDb) fields.Remove(written);
        return CouchReplicationDoc.FromDictionary(fields);
    }

    /// <summary>
    /// Starts a continuous replication on the server (<c>POST /_replicate</c>) and returns it as
    /// the server shows it, with the replication id the server gave it. It lasts until it is
    /// stopped or the server restarts.
    /// </summary>
    public Task<CouchActiveTask> StartAsync(CouchReplicationDoc doc, CancellationToken ct = default) => Mapped(async () =>
    {
        var request = ReplicateRequest.From(doc);
        if (!request.Continuous)
            throw CouchReplicationException.InvalidArgument("continuous", "a one-shot replication is run and waited for, not started");
        var server = await DialectAsync(ct);
        Verbose($"POST {Server}_replicate: {request}, continuous");
        using var answer = await _writes.PostJsonAsync("_replicate", request.Body(server), ct);
        var started = new CouchActiveTask { State = CouchReplicationState.Initializing, Source = request.Source, Target = request.Target, Continuous = true };
        if (ReplicateAnswer.LocalId(answer.RootElement) is not { } id)
        {
            Warn($"{server.Name} at {Server} started the replication but named no replication id: it cannot be listed or "
                + "cancelled, and runs until the server restarts. Start it with -Persistent to be able to stop it.");
            return started with { State = CouchReplicationState.Running };
        }
        return await SettledAsync(async () => (await ListAsync(includeInactive: false, ct)).FirstOrDefault(t => t.ReplicationId == id), ct)
            ?? started with { ReplicationId = id };
    });

    /// <summary>
    /// Writes the replication as a document into the server's <c>_replicator</c> database, under
    /// the document's id or a new one, and returns at once with the document's id and the state
    /// the server gives it now: Pending until the replicator has taken it up. It does not wait for
    /// a job: a cluster may take a minute to give it one while a node leaves or rejoins.
    /// </summary>
    public Task<CouchActiveTask> PersistAsync(CouchReplicationDoc doc, CancellationToken ct = default) => Mapped(async () =>
    {
        var request = ReplicateRequest.From(doc);
        var server = await DialectAsync(ct);
        var docId = string.IsNullOrEmpty(doc.Id) ? Guid.NewGuid().ToString("N") : doc.Id;
        Verbose($"PUT {Server}{ReplicatorDocs.Database}/{docId}: {request}{(request.Continuous ? ", continuous" : "")}");
        using (await _writes.PutJsonAsync($"{ReplicatorDocs.Database}/{DocPath.Of(docId)}", request.Body(server), ct)) { }
        var persisted = await PersistedAsync(docId, ct) is { State: not CouchReplicationState.Initializing } known
            ? known
            : new CouchActiveTask { State = CouchReplicationState.Pending, DocId = docId, Database = ReplicatorDocs.Database };
        // Until the replicator has parsed the document, the scheduler knows neither the endpoints nor whether it is continuous.
        return persisted with { Source = persisted.Source ?? request.Source, Target = persisted.Target ?? request.Target, Continuous = request.Continuous };
    });

    /// <summary>
    /// The server's tasks: every <c>_active_tasks</c> entry (replications, indexers, compactions
    /// ...) and the replication jobs it has not started or that crashed, with the scheduler's
    /// state and error. With <paramref name="includeInactive"/>, also the persistent replications
    /// that are not running: completed, failed, in error.
    /// </summary>
    public Task<IReadOnlyList<CouchActiveTask>> ActiveTasksAsync(bool includeInactive, CancellationToken ct = default) =>
        Mapped(async () => (IReadOnlyList<CouchActiveTask>)await ListAsync(includeInactive, ct));

    /// <summary>
    /// Stops a replication the server runs: a persistent one by deleting its <c>_replicator</c>
    /// document, a transient one by cancelling its replication id. Returns it in state Stopped.
    /// </summary>
    public Task<CouchActiveTask> StopAsync(CouchActiveTask task, CancellationToken ct = default) => Mapped(async () =>
    {
        if (task.Type != "replication")
            throw CouchReplicationException.InvalidArgument("InputObject", $"a {task.Type} task is not a replication: only replications can be stopped");
        if (task.DocId is { } docId)
        {
            await DeleteDocAsync(task.Database ?? ReplicatorDocs.Database, docId, ct);
            return task with { State = CouchReplicationState.Stopped };
        }
        if (task.ReplicationId is not { } id)
            throw new CouchReplicationException(CouchErrorKind.NotSupported,
                $"The server at {Server} named no id for this replication, so it cannot be cancelled; it runs until the server restarts.");
        await CancelAsync(w => PlainJson.Write(w, new Dictionary<string, object?> { ["replication_id"] = id, ["cancel"] = true }), id, ct);
        return task with { State = CouchReplicationState.Stopped };
    });

    /// <summary>
    /// Stops the replication a document started: deletes its <c>_replicator</c> document when the
    /// document has an id that the server has a document for, and otherwise cancels it the way
    /// CouchDB and Cloudant cancel by document (the same document with <c>cancel: true</c>).
    /// </summary>
    public Task<CouchActiveTask> StopAsync(CouchReplicationDoc doc, CancellationToken ct = default) => Mapped(async () =>
    {
        var request = ReplicateRequest.From(doc);
        var server = await DialectAsync(ct);
        var stopped = new CouchActiveTask { State = CouchReplicationState.Stopped, Source = request.Source, Target = request.Target, Continuous = request.Continuous };
        if (!string.IsNullOrEmpty(doc.Id) && await TryDeleteDocAsync(ReplicatorDocs.Database, doc.Id, ct))
            return stopped with { DocId = doc.Id, Database = ReplicatorDocs.Database };
        return stopped with { ReplicationId = await CancelAsync(request.Body(server, cancel: true), request.ToString(), ct) };
    });

    /// <summary>Releases the connections.</summary>
    public void Dispose()
    {
        _reads.Dispose();
        _writes.Dispose();
    }

    /// <summary>The server's dialect, from its welcome the first time it is needed.</summary>
    private async Task<ServerDialect> DialectAsync(CancellationToken ct)
    {
        if (_dialect is not null) return _dialect;
        using var welcome = await _reads.GetJsonAsync("", ct);
        _dialect = ServerDialect.Of(ServerInfo.Read(welcome.RootElement), Server);
        Verbose($"{Server} is {_dialect.Name}, {_dialect.Described}");
        return _dialect;
    }

    private async Task<List<CouchActiveTask>> ListAsync(bool includeInactive, CancellationToken ct)
    {
        var server = await DialectAsync(ct);
        List<CouchActiveTask> active;
        using (var tasks = await _reads.GetJsonAsync("_active_tasks", ct))
            active = tasks.RootElement.EnumerateArray().Select(ActiveTaskJson.Read).ToList();
        ListingCaveat = server.ListingCaveat;
        return await server.ListAsync(_reads, PageSize, active, includeInactive, ct);
    }

    /// <summary>A persistent replication's state as the server's dialect tells it; null while unknown.</summary>
    private async Task<CouchActiveTask?> PersistedAsync(string docId, CancellationToken ct)
    {
        var server = await DialectAsync(ct);
        try
        {
            using var doc = await _reads.GetJsonAsync(server.StatePath(docId), ct);
            return server.ReadState(doc.RootElement);
        }
        catch (CouchReplicationException e) when (e.StatusCode == 404)
        {
            // The replicator has not read the document yet.
            return null;
        }
    }

    /// <summary>Reads until the state is more than Initializing, for at most <see cref="StateWait"/>.</summary>
    private static async Task<CouchActiveTask?> SettledAsync(Func<Task<CouchActiveTask?>> read, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + StateWait;
        while (true)
        {
            var task = await read();
            if (task is { State: not CouchReplicationState.Initializing } || DateTime.UtcNow >= deadline) return task;
            await Task.Delay(StatePoll, ct);
        }
    }

    /// <summary>
    /// Sends a cancel and returns the replication id the server says it cancelled. A server without
    /// a scheduler is not taken at its word: pouchdb-server answers ok, names nothing and goes on
    /// replicating; a replication still in <c>_active_tasks</c> afterwards was not stopped either.
    /// </summary>
    private async Task<string> CancelAsync(Action<Utf8JsonWriter> body, string what, CancellationToken ct)
    {
        var server = await DialectAsync(ct);
        Verbose($"POST {Server}_replicate: cancel {what}");
        string? id;
        try
        {
            using var answer = await _writes.PostJsonAsync("_replicate", body, ct);
            id = ReplicateAnswer.LocalId(answer.RootElement);
        }
        catch (CouchReplicationException e) when (e.StatusCode == 404)
        {
            throw new CouchReplicationException(CouchErrorKind.NotFound, $"{Server} runs no replication {what} to cancel.",
                404, e.Error, e.Reason, e.Url, innerException: e);
        }
        if (id is null)
            throw new CouchReplicationException(CouchErrorKind.NotSupported,
                $"{server.Name} at {Server} answered the cancel of {what} with ok but named no replication, and it has no _scheduler "
                + "to check: the replication is still running (pouchdb-server ignores a _replicate cancel; it stops when the server "
                + "restarts). Start it with -Persistent to be able to stop it.");
        if (!server.ConfirmsCancel && (await ListAsync(includeInactive: false, ct)).Any(t => t.ReplicationId == id))
            throw new CouchReplicationException(CouchErrorKind.NotSupported,
                $"{server.Name} at {Server} answered the cancel of {id} with ok, but the replication is still running.");
        return id;
    }

    /// <summary>
    /// The server goes on with a one-shot replication whose client has left, so a replication
    /// nobody waits for any more is cancelled, by its document, within <see cref="CancelWait"/>.
    /// </summary>
    private async Task CancelInterruptedAsync(ReplicateRequest request, ServerDialect server)
    {
        using var deadline = new CancellationTokenSource(CancelWait);
        try
        {
            var id = await CancelAsync(request.Body(server, cancel: true), request.ToString(), deadline.Token);
            Verbose($"Cancelled {id} on {Server}");
        }
        catch (Exception e) when (e is CouchReplicationException or OperationCanceledException)
        {
            Warn($"Stopped waiting, but the replication {request} could not be cancelled on {Server} ({e.Message}); it may still be running.");
        }
    }

    private async Task DeleteDocAsync(string database, string docId, CancellationToken ct)
    {
        if (!await TryDeleteDocAsync(database, docId, ct))
            throw new CouchReplicationException(CouchErrorKind.NotFound, $"{Server} has no replication document {database}/{docId}.", 404);
    }

    /// <summary>Deletes a replication document; false when there is none.</summary>
    private async Task<bool> TryDeleteDocAsync(string database, string docId, CancellationToken ct)
    {
        var path = $"{Uri.EscapeDataString(database)}/{DocPath.Of(docId)}";
        string? rev;
        try
        {
            using var doc = await _reads.GetJsonAsync(path, ct);
            rev = doc.RootElement.StringOf("_rev");
        }
        catch (CouchReplicationException e) when (e.StatusCode == 404)
        {
            return false;
        }
        Verbose($"DELETE {Server}{database}/{docId}");
        using (await _writes.DeleteJsonAsync($"{path}?rev={Uri.EscapeDataString(rev ?? "")}", ct)) { }
        return true;
    }

    /// <summary>Runs <paramref name="call"/> with the server's failures named as the engine names its own.</summary>
    private static async Task<T> Mapped<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (CouchReplicationException e)
        {
            throw ServerErrors.Map(e);
        }
    }

    private void Verbose(string message) => _messages.Enqueue(new ReplicationMessage(false, message));

    private void Debug(string message) => _messages.Enqueue(new ReplicationMessage(false, message) { IsDebug = true });

    private void Warn(string message) => _messages.Enqueue(new ReplicationMessage(true, message));
}
