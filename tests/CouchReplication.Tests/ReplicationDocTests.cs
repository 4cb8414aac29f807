using System.Text.Json;
using CouchReplication.Document;
using CouchReplication.Json;
using CouchReplication.Protocol;

namespace CouchReplication.Tests;

/// <summary>The replication document, its checks and its identity: no server needed.</summary>
public sealed class ReplicationDocTests
{
    [Fact]
    public void ToJson_gives_couchdb_field_names_and_reads_back_the_same_document()
    {
        var doc = new CouchReplicationDoc
        {
            Id = "rep1",
            Source = "http://127.0.0.1:5984/a",
            Target = "http://127.0.0.1:5984/b",
            Continuous = true,
            CreateTarget = true,
            CreateTargetParams = new Dictionary<string, object?> { ["q"] = 1L },
            Selector = new Dictionary<string, object?> { ["type"] = "order" },
            SinceSeq = "42",
            WorkerProcesses = 2,
            WorkerBatchSize = 100,
            ConnectionTimeout = 5000,
            UseCheckpoints = false,
            TargetHeaders = new Dictionary<string, string> { ["X-Trace"] = "1" },
        };

        var json = doc.ToJson();
        using var parsed = JsonDocument.Parse(json);
        var root = parsed.RootElement;
        Assert.Equal("rep1", root.GetProperty("_id").GetString());
        Assert.Equal("http://127.0.0.1:5984/a", root.GetProperty("source").GetString());
        Assert.Equal("1", root.GetProperty("target").GetProperty("headers").GetProperty("X-Trace").GetString());
        Assert.True(root.GetProperty("create_target").GetBoolean());
        Assert.Equal(42, root.GetProperty("since_seq").GetInt32());
        Assert.Equal(2, root.GetProperty("worker_processes").GetInt32());
        Assert.False(root.GetProperty("use_checkpoints").GetBoolean());
        Assert.False(root.TryGetProperty("filter", out _));

        var back = CouchReplicationDoc.FromJson(json);
        Assert.Equal(json, back.ToJson());
    }

    [Fact]
    public void Passwords_never_show_in_properties_json_or_strings_unless_asked_for()
    {
        var doc = new CouchReplicationDoc { Source = "https://ann:p%40ss%3Aw%2Frd@db.example/a", Target = "https://db.example/b" };
        doc.TargetCredential = new CouchCredential("bob", "hunter2");

        // Read back, a URL has no user info: the user is in the credential, no mask looks like a password.
        Assert.Equal("https://db.example/a", doc.Source);
        Assert.Equal("ann", doc.SourceCredential!.UserName);
        Assert.DoesNotContain("p%40ss", doc.ToJson());
        Assert.DoesNotContain("hunter2", doc.ToJson());
        Assert.DoesNotContain("hunter2", doc.TargetCredential.ToString());
        Assert.Contains("\"password\": \"p@ss:w/rd\"", doc.ToJson(includeCredentials: true));
        Assert.Contains("\"password\": \"hunter2\"", doc.ToJson(includeCredentials: true));
    }

    [Theory]
    [InlineData("http://ann:*****@h:5984/a", "source")]
    [InlineData("http://ann:%2A%2A%2A%2A%2A@h:5984/a", "source")]
    public void A_masked_password_copied_from_output_is_refused_saying_how_to_give_the_credential(string url, string field)
    {
        var doc = new CouchReplicationDoc { Source = url, Target = "http://h:5984/b" };
        var error = Assert.Throws<CouchReplicationException>(() => doc.Validate());
        Assert.StartsWith(field + ": the password in", error.Message);
        Assert.Contains("-SourceCredential", error.Message);
    }

    [Fact]
    public void A_proxy_password_is_written_only_when_credentials_are_asked_for()
    {
        var doc = new CouchReplicationDoc { Source = "http://h/a", Target = "http://h/b", Proxy = "http://pu:proxy-secret@proxy:3128" };

        Assert.DoesNotContain("proxy-secret", doc.ToJson());
        Assert.Contains("http://pu:*****@proxy:3128", doc.ToJson());
        Assert.Contains("http://pu:proxy-secret@proxy:3128", doc.ToJson(includeCredentials: true));
    }

    [Fact]
    public void Every_document_property_is_a_described_field_or_part_of_an_endpoint()
    {
        string[] endpoint = ["Source", "Target", "SourceCredential", "TargetCredential", "SourceIamApiKey", "TargetIamApiKey", "SourceHeaders", "TargetHeaders",
            "AdditionalFields"];
        // Settings of this module that no document field holds, documented as such.
        string[] settings = ["IamTokenUrl", "Authentication"];
        // What a user sets; State and StateReason are set only when a server's document is read back.
        var undescribed = typeof(CouchReplicationDoc).GetProperties()
            .Where(p => p.SetMethod is { IsPublic: true } && !endpoint.Contains(p.Name) && !settings.Contains(p.Name) && p.GetCustomAttributes(typeof(ReplicationDocFieldAttribute), false).Length == 0)
            .Select(p => p.Name);
        Assert.Empty(undescribed);
        Assert.All(new[] { nameof(CouchReplicationDoc.State), nameof(CouchReplicationDoc.StateReason) },
            name => Assert.False(typeof(CouchReplicationDoc).GetProperty(name)!.SetMethod!.IsPublic));
        Assert.Equal(ReplicationDocFields.All.Count, ReplicationDocFields.All.Select(f => f.Json).Distinct().Count());
    }

    [Theory]
    [InlineData("worker_batch_size", 0, "worker_batch_size: must be at least 1, not 0")]
    [InlineData("retries_per_request", -1, "retries_per_request: must be at least 0, not -1")]
    [InlineData("connection_timeout", 0, "connection_timeout: must be at least 1, not 0")]
    public void A_number_below_its_fields_minimum_is_refused_naming_the_field(string field, int value, string message)
    {
        var doc = new CouchReplicationDoc { Source = "http://h/a", Target = "http://h/b" };
        doc.SetField(field, value);
        Assert.Equal(message, Assert.Throws<CouchReplicationException>(() => doc.Validate()).Message);
    }

    [Fact]
    public void Fields_left_out_take_couchdbs_defaults()
    {
        var settings = ReplicationSettings.From(new CouchReplicationDoc { Source = "http://h/a", Target = "http://h/b" });
        Assert.Equal((4, 500, 20, 5), (settings.WorkerProcesses, settings.WorkerBatchSize, settings.Http.HttpConnections, settings.Http.RetriesPerRequest));
        Assert.Equal((30_000, 30_000), (settings.CheckpointInterval.TotalMilliseconds, settings.Http.ConnectionTimeout.TotalMilliseconds));
        Assert.True(settings.UseCheckpoints && settings.UseBulkGet);
        Assert.False(settings.Continuous || settings.CreateTarget || settings.WinningRevsOnly);
    }

    [Fact]
    public void User_info_in_a_url_is_percent_decoded_into_the_credential()
    {
        var endpoint = CouchEndpoint.Parse("http://us%3Aer:p%40ss%3A%2F%25w@127.0.0.1:5984/db", "source");

        Assert.Equal("us:er", endpoint.Credential!.UserName);
        Assert.Equal("p@ss:/%w", endpoint.Credential.Password);
        Assert.Equal("http://127.0.0.1:5984/db/", endpoint.DatabaseUri.AbsoluteUri);
        Assert.Equal("http://us%3Aer:*****@127.0.0.1:5984/db/", endpoint.Redacted);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5984/", "source", "no database name")]
    [InlineData("ftp://127.0.0.1/db", "source", "not an http")]
    [InlineData("htp://127.0.0.1/db", "source", "not an http")]
    [InlineData("http://127.0.0.1:5984/Upper", "source", "not a valid CouchDB database name")]
    public void Bad_urls_are_refused_naming_the_field(string url, string field, string problem)
    {
        var error = Assert.Throws<CouchReplicationException>(() =>
            ReplicationSettings.From(new CouchReplicationDoc { Source = url, Target = "http://127.0.0.1:5984/b" }));

        Assert.Equal(CouchErrorKind.InvalidArgument, error.Kind);
        Assert.StartsWith(field + ":", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Two_filters_are_refused_naming_both()
    {
        var error = Assert.Throws<CouchReplicationException>(() => ReplicationSettings.From(new CouchReplicationDoc
        {
            Source = "http://h/a", Target = "http://h/b", DocIds = ["x"], Selector = new Dictionary<string, object?> { ["a"] = 1L },
        }));

        Assert.Contains("doc_ids and selector", error.Message);
    }

    [Theory]
    [InlineData("worker_processes", 0)]
    [InlineData("worker_batch_size", -1)]
    [InlineData("http_connections", 0)]
    [InlineData("connection_timeout", 0)]
    [InlineData("retries_per_request", -1)]
    [InlineData("checkpoint_interval", 0)]
    public void Numbers_out_of_range_are_refused_naming_the_field(string field, int value)
    {
        var doc = new CouchReplicationDoc { Source = "http://h/a", Target = "http://h/b" };
        doc.SetField(field, value);

        var error = Assert.Throws<CouchReplicationException>(() => ReplicationSettings.From(doc));

        Assert.StartsWith(field + ":", error.Message);
    }

    [Fact]
    public void Source_equal_to_target_is_refused()
    {
        var error = Assert.Throws<CouchReplicationException>(() =>
            ReplicationSettings.From(new CouchReplicationDoc { Source = "http://u:p@h:5984/a", Target = "http://h:5984/a/" }));

        Assert.Contains("same database", error.Message);
    }

    [Fact]
    public void Unknown_fields_are_kept_and_warned_about()
    {
        var doc = CouchReplicationDoc.FromJson("""{"source": "http://h/a", "target": "http://h/b", "colour": "blue"}""");

        Assert.Equal("blue", doc.AdditionalFields["colour"]);
        Assert.Contains("\"colour\": \"blue\"", doc.ToJson());
        Assert.Contains(ReplicationSettings.From(doc).Warnings, w => w.Contains("'colour'"));
    }

    [Fact]
    public void The_fields_couchdb_writes_into_a_replicator_document_are_kept_without_a_warning()
    {
        var doc = CouchReplicationDoc.FromJson("""
            {"_id": "nightly", "_rev": "3-abc", "source": "http://h/a", "target": "http://h/b", "owner": "ann",
             "_replication_state": "completed", "_replication_state_time": "2026-11-30T01:00:00Z",
             "_replication_state_reason": null, "_replication_id": "0a81", "_replication_stats": {"docs_written": 3}}
            """);

        Assert.Empty(ReplicationSettings.From(doc).Warnings);
        Assert.Equal("3-abc", doc.AdditionalFields["_rev"]);
        Assert.Contains("\"owner\": \"ann\"", doc.ToJson());
    }

    [Fact]
    public void Object_endpoints_with_basic_auth_are_read_as_couchdb_3_writes_them()
    {
        var doc = CouchReplicationDoc.FromJson("""
            {"source": {"url": "http://h/a", "headers": {"X-A": "1"}, "auth": {"basic": {"username": "ann", "password": "pw"}}}, "target": "http://h/b"}
            """);

        Assert.Equal("ann", doc.SourceCredential!.UserName);
        Assert.Equal("pw", doc.SourceCredential.Password);
        Assert.Equal("1", doc.SourceHeaders!["X-A"]);
    }

    [Theory]
    [InlineData("""{"iam": {"api_key": "k-123"}}""")]
    [InlineData("""{"ibm": {"iam": {"api_key": "k-123"}}}""")]
    public void IAM_keys_are_read_in_both_of_Cloudant_s_forms_and_written_back_in_the_first_only_when_asked(string auth)
    {
        var doc = CouchReplicationDoc.FromJson($$"""{"source": {"url": "https://acct.cloudant.com/a", "auth": {{auth}}}, "target": "https://acct.cloudant.com/b"}""");

        Assert.Equal("k-123", doc.SourceIamApiKey!.Key);
        Assert.Null(doc.SourceCredential);
        Assert.Equal("*****", doc.SourceIamApiKey.ToString());
        Assert.DoesNotContain("k-123", doc.ToJson());
        Assert.Contains("\"iam\": {}", doc.ToJson());
        Assert.Equal("k-123", CouchReplicationDoc.FromJson(doc.ToJson(includeCredentials: true)).SourceIamApiKey!.Key);
        var error = Assert.Throws<CouchReplicationException>(() => CouchReplicationDoc.FromJson(doc.ToJson()));
        Assert.Equal("source.auth.iam: needs an api_key (ToJson leaves the key out unless asked for it: ToJson($true) to keep it)", error.Message);
    }

    [Theory]
    [InlineData("""{"cookie": {"name": "x"}}""", "source.auth: 'cookie' is not an authentication this module knows")]
    [InlineData("""{"ibm": {"other": {}}}""", "source.auth.ibm: is not in a form this module knows")]
    [InlineData("""{"iam": {"apikey": "k"}}""", "source.auth.iam: needs an api_key")]
    public void An_unknown_form_of_auth_is_refused_naming_it(string auth, string message)
    {
        var error = Assert.Throws<CouchReplicationException>(() =>
            CouchReplicationDoc.FromJson($$"""{"source": {"url": "http://h/a", "auth": {{auth}}}, "target": "http://h/b"}"""));

        Assert.Equal(CouchErrorKind.InvalidArgument, error.Kind);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void A_password_and_an_IAM_key_for_one_end_are_refused()
    {
        var doc = new CouchReplicationDoc { Source = "http://ann:pw@h/a", Target = "http://h/b", SourceIamApiKey = new CouchIamApiKey("k") };

        var error = Assert.Throws<CouchReplicationException>(() => doc.Validate());

        Assert.Equal("source: has both a password (for the user 'ann') and an IAM API key: give one of them", error.Message);
    }

    [Theory]
    [InlineData(null, null, "https://iam.cloud.ibm.com/identity/token")]
    [InlineData("https://iam.example.com", null, "https://iam.example.com/identity/token")]
    [InlineData("https://iam.example.com/identity/token", null, "https://iam.example.com/identity/token")]
    [InlineData(null, "http://127.0.0.1:8080/base/", "http://127.0.0.1:8080/base/identity/token")]
    [InlineData("https://given.example.com", "http://127.0.0.1:8080", "https://given.example.com/identity/token")]
    public void The_token_endpoint_is_the_one_given_else_CLOUDANT_AUTH_URL_else_IBM_Cloud_s(string? given, string? environment, string expected)
    {
        Assert.Equal(expected, IamSetting.TokenUrlOf(given, _ => environment).AbsoluteUri);
    }

    [Fact]
    public void The_replication_id_ignores_credentials_but_not_the_filter()
    {
        ReplicationSettings Settings(string source, Action<CouchReplicationDoc>? edit = null)
        {
            var doc = new CouchReplicationDoc { Source = source, Target = "http://h:5984/b" };
            edit?.Invoke(doc);
            return ReplicationSettings.From(doc);
        }

        var plain = ReplicationIdentity.Compute(Settings("http://h:5984/a"), null);
        Assert.Matches("^[0-9a-f]{32}$", plain);
        Assert.Equal(plain, ReplicationIdentity.Compute(Settings("http://ann:secret@h:5984/a"), null));
        Assert.NotEqual(plain, ReplicationIdentity.Compute(Settings("http://h:5984/a", d => d.DocIds = ["x"]), null));
        Assert.NotEqual(
            ReplicationIdentity.Compute(Settings("http://h:5984/a", d => d.Filter = "app/f"), "function (doc) { return true; }"),
            ReplicationIdentity.Compute(Settings("http://h:5984/a", d => d.Filter = "app/f"), "function (doc) { return false; }"));
        Assert.Equal("abc+continuous+create_target", ReplicationIdentity.TaskId("abc", continuous: true, createTarget: true));
    }

    [Fact]
    public void Sequences_stay_opaque_json()
    {
        Assert.Equal("12", Seq.FromUserText("12").RawJson);
        Assert.Equal("\"12-g1AAAA\"", Seq.FromUserText("12-g1AAAA").RawJson);
        Assert.Equal("12-g1AAAA", Seq.FromUserText("12-g1AAAA").QueryValue);
        using var json = JsonDocument.Parse("""["5-abc", 7]""");
        Assert.Equal("\"5-abc\"", Seq.From(json.RootElement[0]).RawJson);
        Assert.Equal("7", Seq.From(json.RootElement[1]).QueryValue);
    }
}
