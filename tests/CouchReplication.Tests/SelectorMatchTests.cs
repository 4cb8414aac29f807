using System.Text.Json;
using CouchReplication.Document;
using CouchReplication.Json;
using CouchReplication.Mango;

namespace CouchReplication.Tests;

/// <summary>
/// The Mango matcher without a server, on the edges CouchDB's own code decides (mango_selector,
/// mango_json, couch_ejson_compare); SelectorOnFileTests compares it with CouchDB itself.
/// </summary>
public sealed class SelectorMatchTests
{
    private static bool Matches(string selector, string document)
    {
        using var doc = JsonDocument.Parse(document);
        return Selector.Parse(PlainJson.ParseObject(selector, "selector")).Matches((MangoObject)MangoValue.From(doc.RootElement)!);
    }

    [Theory]
    // Implicit $eq and $and, nested objects as paths, dotted paths, escaped dots, array indexes.
    [InlineData("""{}""", """{"a": 1}""", true)]
    [InlineData("""{"a": 1, "b": "x"}""", """{"a": 1, "b": "x"}""", true)]
    [InlineData("""{"a": 1, "b": "x"}""", """{"a": 1, "b": "y"}""", false)]
    [InlineData("""{"a": {"b": {"c": 1}}}""", """{"a": {"b": {"c": 1}}}""", true)]
    [InlineData("""{"a.b.c": 1}""", """{"a": {"b": {"c": 1}}}""", true)]
    [InlineData("""{"a\\.b": 1}""", """{"a.b": 1}""", true)]
    [InlineData("""{"a\\.b": 1}""", """{"a": {"b": 1}}""", false)]
    [InlineData("""{"a.1": "y"}""", """{"a": ["x", "y"]}""", true)]
    [InlineData("""{"a.2": {"$exists": false}}""", """{"a": ["x", "y"]}""", false)]
    [InlineData("""{"a.b": {"$exists": false}}""", """{"a": "not an object"}""", false)]
    [InlineData("""{"a.b": {"$exists": false}}""", """{"a": {}}""", true)]
    // Equality is collation, not identity: 1 equals 1.0; arrays match as a whole, not by element.
    [InlineData("""{"n": 1}""", """{"n": 1.0}""", true)]
    [InlineData("""{"a": [1, 2]}""", """{"a": [1, 2]}""", true)]
    [InlineData("""{"a": 1}""", """{"a": [1, 2]}""", false)]
    [InlineData("""{"a": {"$eq": {"$gt": 1}}}""", """{"a": {"$gt": 1}}""", true)]
    // Collation: null < false < true < numbers < strings < arrays < objects; strings by UCA.
    [InlineData("""{"v": {"$gt": true}}""", """{"v": 0}""", true)]
    [InlineData("""{"v": {"$lt": ""}}""", """{"v": 99999}""", true)]
    [InlineData("""{"v": {"$gt": "zzz"}}""", """{"v": []}""", true)]
    [InlineData("""{"v": {"$gt": [9]}}""", """{"v": {}}""", true)]
    [InlineData("""{"v": {"$lt": "B"}}""", """{"v": "a"}""", true)]
    [InlineData("""{"v": {"$lt": "b"}}""", """{"v": "B"}""", false)]
    [InlineData("""{"v": {"$lt": "f"}}""", """{"v": "é"}""", true)]
    [InlineData("""{"v": "é"}""", """{"v": "e\u0301"}""", true)]
    // _id compares in Erlang's order: bytes, so "B" < "a"; any string is above any number.
    [InlineData("""{"_id": {"$lt": "a"}}""", """{"_id": "B"}""", true)]
    [InlineData("""{"_id": {"$gt": 5}}""", """{"_id": "0"}""", true)]
    [InlineData("""{"v": {"$gt": 5}}""", """{"v": "0"}""", true)]
    // A missing field passes only {"$exists": false}; $ne, $nin, $not over it do not.
    [InlineData("""{"a": {"$ne": 1}}""", """{}""", false)]
    [InlineData("""{"a": {"$nin": [1]}}""", """{}""", false)]
    [InlineData("""{"a": {"$not": {"$eq": 1}}}""", """{}""", false)]
    [InlineData("""{"$not": {"a": 1}}""", """{}""", false)]
    [InlineData("""{"$nor": [{"a": 1}]}""", """{}""", false)]
    [InlineData("""{"a": {"$not": {"$exists": true}}}""", """{}""", true)]
    [InlineData("""{"a": {"$not": {"$size": 1}}}""", """{}""", false)]
    [InlineData("""{"a": {"$not": {"$size": 1}}}""", """{"a": [1, 2]}""", true)]
    // $in and $nin look into an array value; $all is exact (1 is not 1.0); $size, $elemMatch, $allMatch.
    [InlineData("""{"a": {"$in": [3, 4]}}""", """{"a": [1, 4]}""", true)]
    [InlineData("""{"a": {"$in": [[1, 4]]}}""", """{"a": [1, 4]}""", false)]
    [InlineData("""{"a": {"$in": []}}""", """{"a": 1}""", false)]
    [InlineData("""{"a": {"$nin": []}}""", """{"a": 1}""", true)]
    [InlineData("""{"a": {"$all": [1, 2]}}""", """{"a": [2, 3, 1]}""", true)]
    [InlineData("""{"a": {"$all": [1]}}""", """{"a": [1.0]}""", false)]
    [InlineData("""{"a": {"$all": [[1, 2]]}}""", """{"a": [1, 2.0]}""", true)]
    [InlineData("""{"a": {"$all": []}}""", """{"a": []}""", false)]
    [InlineData("""{"a": {"$size": 0}}""", """{"a": []}""", true)]
    [InlineData("""{"a": {"$elemMatch": {"$gt": 2}}}""", """{"a": [1, 3]}""", true)]
    [InlineData("""{"a": {"$elemMatch": {"b": 1}}}""", """{"a": [{"b": 2}, {"b": 1}]}""", true)]
    [InlineData("""{"a": {"$allMatch": {"$gt": 0}}}""", """{"a": []}""", false)]
    [InlineData("""{"a": {"$allMatch": {"$gt": 0}}}""", """{"a": [1, 2]}""", true)]
    [InlineData("""{"a": {"$keyMapMatch": {"$beginsWith": "x"}}}""", """{"a": {"y": 1, "xz": 2}}""", true)]
    // Normalisation stops at $elemMatch: a $nor inside is an error there, which CouchDB counts as no match.
    [InlineData("""{"a": {"$elemMatch": {"$nor": [{"$eq": 5}]}}}""", """{"a": [1]}""", false)]
    [InlineData("""{"a": {"$elemMatch": {"$not": {"b": 1}}}}""", """{"a": [{}]}""", true)]
    // $mod takes integers only; $type; $beginsWith; $regex over the UTF-8 bytes, a search anywhere.
    [InlineData("""{"n": {"$mod": [3, 1]}}""", """{"n": 7}""", true)]
    [InlineData("""{"n": {"$mod": [3, -1]}}""", """{"n": -7}""", true)]
    [InlineData("""{"n": {"$mod": [3, 1]}}""", """{"n": 7.0}""", false)]
    [InlineData("""{"n": {"$type": "number"}}""", """{"n": 1.5}""", true)]
    [InlineData("""{"n": {"$type": "array"}}""", """{"n": {}}""", false)]
    [InlineData("""{"s": {"$beginsWith": "ab"}}""", """{"s": "abc"}""", true)]
    [InlineData("""{"s": {"$beginsWith": "A"}}""", """{"s": "abc"}""", false)]
    [InlineData("""{"s": {"$regex": "b."}}""", """{"s": "abc"}""", true)]
    [InlineData("""{"s": {"$regex": "^.$"}}""", """{"s": "é"}""", false)]
    [InlineData("""{"s": {"$regex": "^..$"}}""", """{"s": "é"}""", true)]
    [InlineData("""{"s": {"$regex": "^\\S+$"}}""", """{"s": "voilà"}""", true)]
    [InlineData("""{"s": {"$regex": "^a"}}""", """{"s": 1}""", false)]
    [InlineData("""{"s": {"$regex": "(?i)^ABC"}}""", """{"s": "abc"}""", true)]
    [InlineData("""{"s": {"$regex": "(?<=a)b"}}""", """{"s": "ab"}""", true)]
    // Empty $or matches everything; $text matches everything in _changes (only a text index answers it).
    [InlineData("""{"$or": []}""", """{"a": 1}""", true)]
    [InlineData("""{"$and": []}""", """{"a": 1}""", true)]
    [InlineData("""{"$text": "anything"}""", """{"a": 1}""", true)]
    [InlineData("""{"$or": [{"a": 1}, {"b": {"$gte": 2}}]}""", """{"b": 3}""", true)]
    public void Matches_as_CouchDB_matches(string selector, string document, bool expected) =>
        Assert.Equal(expected, Matches(selector, document));

    [Theory]
    [InlineData("""{"a": {"$foo": 1}}""", "invalid operator: $foo")]
    [InlineData("""{"a": {"$where": "x"}}""", "unsupported operator: $where")]
    [InlineData("""{"a": {"$in": 1}}""", "bad argument for operator $in: 1")]
    [InlineData("""{"$and": {"a": 1}}""", "bad argument for operator $and")]
    [InlineData("""{"a": {"$exists": "yes"}}""", "bad argument for operator $exists")]
    [InlineData("""{"a": {"$size": -1}}""", "bad argument for operator $size")]
    [InlineData("""{"a": {"$size": 1.5}}""", "bad argument for operator $size")]
    [InlineData("""{"a": {"$mod": [2.5, 1]}}""", "bad argument for operator $mod")]
    [InlineData("""{"a": {"$type": 1}}""", "bad argument for operator $type")]
    [InlineData("""{"a": {"$regex": 1}}""", "bad argument for operator $regex")]
    [InlineData("""{"a": {"$elemMatch": 1}}""", "bad argument for operator $elemMatch")]
    [InlineData("""{"$eq": 1}""", "missing a field name")]
    [InlineData("""{"a..b": 1}""", "invalid field name: a..b")]
    [InlineData("""{"a": {"b": {"$default": 1}}}""", "invalid field normalization")]
    [InlineData("""{"$not": {"$text": "x"}}""", "bad argument for operator $not")]
    public void An_invalid_selector_is_refused_with_what_is_wrong(string selector, string says)
    {
        var error = Assert.Throws<CouchReplicationException>(() => Selector.Parse(PlainJson.ParseObject(selector, "selector")));

        Assert.Equal(CouchErrorKind.InvalidArgument, error.Kind);
        Assert.StartsWith("selector: ", error.Message);
        Assert.Contains(says, error.Message);
    }

    private static ReplicationSettings FromFile(string selector, string source = "backup.couchdb")
    {
        var doc = new CouchReplicationDoc { Source = source, Target = "http://localhost:5984/target" };
        doc.SetField("selector", selector);
        return ReplicationSettings.From(doc);
    }

    [Fact]
    public void An_invalid_selector_on_a_file_source_is_refused_before_the_replication_starts()
    {
        var error = Assert.Throws<CouchReplicationException>(() => FromFile("""{"type": {"$gt": 1, "$bogus": 2}}"""));

        Assert.Equal(CouchErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("invalid operator: $bogus", error.Message);
    }

    /// <summary>A regex PCRE compiles but .NET does not, an invalid one, and $mod by 0 (which CouchDB accepts, then fails on): a server judges them itself.</summary>
    [Theory]
    [InlineData("""{"a": {"$regex": "a++"}}""", "$regex")]
    [InlineData("""{"a": {"$regex": "("}}""", "$regex")]
    [InlineData("""{"a": {"$elemMatch": {"$mod": [0, 1]}}}""", "$mod")]
    public void What_a_file_cannot_run_as_CouchDB_does_is_refused_for_a_file_source_only(string selector, string op)
    {
        var error = Assert.Throws<CouchReplicationException>(() => FromFile(selector));

        Assert.Equal(CouchErrorKind.InvalidArgument, error.Kind);
        Assert.Contains($"bad argument for operator {op}", error.Message);
        Assert.NotNull(FromFile(selector, source: "http://localhost:5984/source").Filter.Matcher);
    }

    /// <summary>Without ICU strings would compare as ordinals, not as CouchDB collates them: a file source refuses rather than pass other revisions.</summary>
    [Fact]
    public async Task Without_ICU_a_selector_on_a_file_source_is_refused()
    {
        var (exitCode, _, error) = await ChildReplication.RunAsync(new Dictionary<string, string>
        {
            ["COUCH_REPLICATE_SOURCE"] = Path.Combine(Path.GetTempPath(), "never-opened.couchdb"),
            ["COUCH_REPLICATE_TARGET"] = "http://127.0.0.1:1/target",
            ["COUCH_REPLICATE_SELECTOR"] = """{"name": {"$gt": "B"}}""",
            ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1",
        }, Eventually.Limit);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("invariant globalization mode", error);
    }
}
