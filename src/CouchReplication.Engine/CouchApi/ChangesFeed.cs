using System.Text.Json;
using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.Json;

namespace CouchReplication.CouchApi;

/// <summary>The URL and body of a <c>_changes</c> request, for each kind of filter.</summary>
internal static class ChangesQuery
{
    /// <summary>
    /// <c>feed=normal</c>, a page of <paramref name="limit"/> rows. seq_interval: only the page's last
    /// sequence is used, and CouchDB computes the others at a cost (a clustered sequence per row);
    /// servers that do not know it ignore it.
    /// </summary>
    public static string Normal(ChangesRequest request, int limit, bool selectorInQuery) =>
        Filtered(Start(request, "normal").Add("limit", limit).Add("seq_interval", limit), request.Filter, selectorInQuery).ToString();

    public static string Continuous(ChangesRequest request, TimeSpan heartbeat, bool selectorInQuery) =>
        Filtered(Start(request, "continuous"), request.Filter, selectorInQuery).Add("heartbeat", (long)heartbeat.TotalMilliseconds).ToString();

    private static QueryString Start(ChangesRequest request, string feed) =>
        new QueryString("_changes").Add("feed", feed).Add("style", request.WinningRevsOnly ? "main_only" : "all_docs")
            .Add("since", request.Since.QueryValue);

    /// <summary>Adds the query parameters of a filter; a selector goes into the query only for servers that refuse it in a POST body.</summary>
    private static QueryString Filtered(QueryString query, ChangesFilter filter, bool selectorInQuery)
    {
        switch (filter.Kind)
        {
            case ChangesFilterKind.DocIds:
                query.Add("filter", "_doc_ids");
                break;
            case ChangesFilterKind.Selector:
                query.Add("filter", "_selector");
                if (selectorInQuery) query.Add("selector", PlainJson.Serialize(filter.Selector));
                break;
            case ChangesFilterKind.Function:
                query.Add("filter", filter.Name!);
                break;
            case ChangesFilterKind.View:
                query.Add("filter", "_view");
                break;
        }
        if (filter.Kind is ChangesFilterKind.Function or ChangesFilterKind.View)
            foreach (var (key, value) in filter.QueryParams)
                if (key is not ("filter" or "since" or "feed" or "style" or "limit" or "heartbeat"))
                    query.Add(key, value is string s ? s : PlainJson.Serialize(value));
        return query;
    }

    /// <summary>The POST body of a <c>_changes</c> request, for the filters whose input is too big for a URL; null for a GET.</summary>
    public static Action<Utf8JsonWriter>? Body(ChangesFilter filter, bool selectorInQuery) => filter.Kind switch
    {
        ChangesFilterKind.DocIds => w => PlainJson.Write(w, new Dictionary<string, object?> { ["doc_ids"] = filter.DocIds }),
        ChangesFilterKind.Selector when !selectorInQuery => w => PlainJson.Write(w, new Dictionary<string, object?> { ["selector"] = filter.Selector }),
        _ => null,
    };
}

/// <summary><c>GET</c> or <c>POST /db/_changes</c>, one page at a time or continuous.</summary>
internal sealed partial class HttpCouchDatabase
{
    /// <summary>
    /// Whether a selector goes into the query instead of a POST body: for servers that only take
    /// it that way (pouchdb-server answers the POST with 404).
    /// </summary>
    private bool _selectorInQuery;

    public async Task<ChangesPage> ReadChangesAsync(ChangesRequest request, int limit, CancellationToken ct)
    {
        using var json = await WithSelectorFallbackAsync(request.Filter, () => ChangesQuery.Body(request.Filter, _selectorInQuery) is { } body
            ? _http.PostJsonAsync(ChangesQuery.Normal(request, limit, _selectorInQuery), body, ct)
            : _http.GetJsonAsync(ChangesQuery.Normal(request, limit, _selectorInQuery), ct));
        return ChangesPage.Parse(json.RootElement, request.Since, _role);
    }

    public async Task<IContinuousChanges> FollowChangesAsync(ChangesRequest request, TimeSpan heartbeat, CancellationToken ct)
    {
        var response = await WithSelectorFallbackAsync(request.Filter, () =>
        {
            var body = ChangesQuery.Body(request.Filter, _selectorInQuery);
            return _http.OpenStreamAsync(body is null ? HttpMethod.Get : HttpMethod.Post, ChangesQuery.Continuous(request, heartbeat, _selectorInQuery), body, ct);
        });
        try
        {
            return new ContinuousChanges(response, await response.Content.ReadAsStreamAsync(ct), heartbeat * 3, _role, ct);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Sends a changes request; a selector the server refuses in a POST body is sent again in the query.</summary>
    private async Task<T> WithSelectorFallbackAsync<T>(ChangesFilter filter, Func<Task<T>> request)
    {
        try
        {
            return await request();
        }
        catch (CouchReplicationException e) when (e.StatusCode == 404 && filter.Kind == ChangesFilterKind.Selector && !_selectorInQuery
                                                  && !CouchErrors.IsMissingDatabase(e))
        {
            _selectorInQuery = true;
            _log($"The {_role} refused the selector in a POST body; sending it as a query parameter");
            return await request();
        }
    }

    /// <summary>The lines of a continuous feed, each awaited for at most <paramref name="silence"/> (three heartbeats).</summary>
    private sealed class ContinuousChanges(HttpResponseMessage response, Stream stream, TimeSpan silence, string role, CancellationToken ct)
        : IContinuousChanges
    {
        private readonly StreamReader _reader = new(stream);
        private readonly CancellationTokenSource _silent = CancellationTokenSource.CreateLinkedTokenSource(ct);

        public bool Gave { get; private set; }

        public async Task<ChangesLine?> ReadAsync()
        {
            _silent.CancelAfter(silence);
            string? line;
            try
            {
                line = await _reader.ReadLineAsync(_silent.Token);
            }
            catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw new CouchReplicationException(CouchErrorKind.Timeout,
                    $"The {role}'s changes feed was silent for {silence.TotalSeconds:0} s (no heartbeat).", isTransient: true, innerException: e);
            }
            if (line is null) return null;
            if (line.Length == 0) return ChangesLine.Heartbeat;
            // Only a line that parses counts as given: a feed whose first line is broken or an
            // error has failed, and is retried with backoff rather than reopened at once.
            var parsed = ChangesLine.Parse(line, role);
            Gave = true;
            return parsed;
        }

        public async ValueTask DisposeAsync()
        {
            _silent.Dispose();
            _reader.Dispose();
            await stream.DisposeAsync();
            response.Dispose();
        }
    }
}
