using System.Text;
using System.Text.Json;
using CouchReplication.Compare;
using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.Json;
using CouchReplication.Multipart;
using CouchReplication.Protocol;

namespace CouchReplication.Tests;

/// <summary>The protocol pieces that need no server: changes pages, _revs_diff skipping, multipart reading, doc_ids decoding, what -Deep compares.</summary>
public sealed class ProtocolPieceTests
{
    [Fact]
    public void A_changes_page_keeps_leaves_leaves_out_local_docs_and_counts_every_row()
    {
        using var json = JsonDocument.Parse("""
            {"results": [
              {"seq": "1-a", "id": "doc", "changes": [{"rev": "2-x"}, {"rev": "2-y"}]},
              {"seq": "2-b", "id": "_local/home", "changes": [{"rev": "0-1"}]},
              {"seq": "3-c", "id": "gone", "changes": [{"rev": "3-z"}], "deleted": true}
            ], "last_seq": "3-c", "pending": 7}
            """);

        var page = ChangesPage.Parse(json.RootElement, Seq.Zero, "source");

        Assert.Equal(3, page.Rows);
        Assert.Equal([("doc", "2-x,2-y"), ("gone", "3-z")], page.Changes.Select(c => (c.Id, string.Join(',', c.Revs))));
        Assert.Equal("\"3-c\"", page.LastSeq.RawJson);
        Assert.Equal(7, page.Pending);
    }

    [Fact]
    public void A_changes_page_without_results_is_not_couchdb_and_one_without_last_seq_stays_where_it_was()
    {
        using var html = JsonDocument.Parse("""{"ok": true}""");
        Assert.Equal(CouchErrorKind.InvalidResponse, Assert.Throws<CouchReplicationException>(() => ChangesPage.Parse(html.RootElement, Seq.Zero, "source")).Kind);

        using var empty = JsonDocument.Parse("""{"results": []}""");
        var page = ChangesPage.Parse(empty.RootElement, new Seq("42"), "source");
        Assert.Equal((0, "42", (long?)null), (page.Rows, page.LastSeq.RawJson, page.Pending));
    }

    [Fact]
    public void Revs_diff_is_left_out_after_three_nearly_all_missing_batches_but_probed_one_in_ten()
    {
        var skipping = new RevsDiffSkipping();
        for (var i = 0; i < RevsDiffSkipping.Streak; i++)
        {
            Assert.False(skipping.ShouldSkip());
            skipping.Observe(100, 96);
        }

        var decisions = Enumerable.Range(0, 2 * RevsDiffSkipping.ProbeEvery).Select(_ => skipping.ShouldSkip()).ToList();
        Assert.Equal(2, decisions.Count(skip => !skip));

        // A probe that finds the target has what is sent ends the skipping.
        skipping.Observe(100, 10);
        Assert.False(skipping.ShouldSkip());
    }

    [Fact]
    public void A_batch_with_a_few_revisions_present_does_not_start_skipping()
    {
        var skipping = new RevsDiffSkipping();
        for (var i = 0; i < 10; i++) skipping.Observe(100, 90);
        Assert.False(skipping.ShouldSkip());
    }

    [Fact]
    public async Task Multipart_sections_are_read_in_order_with_headers_and_nested_parts()
    {
        const string body =
            "--outer\r\nContent-Type: application/json\r\n\r\n{\"missing\":\"1-x\"}\r\n" +
            "--outer\r\nContent-Type: multipart/related; boundary=\"inner\"\r\n\r\n" +
            "--inner\r\nContent-Type: application/json\r\n\r\n{\"_id\":\"a\"}\r\n--inner\r\nContent-Type: text/plain\r\n\r\nhello\r\n--inner--\r\n" +
            "--outer--\r\n";
        using var reader = new MultipartReader(new MemoryStream(Encoding.UTF8.GetBytes(body)), "outer");

        var first = await reader.ReadNextSectionAsync(CancellationToken.None);
        Assert.Equal("application/json", first!.ContentType);
        Assert.Equal("{\"missing\":\"1-x\"}", await new StreamReader(first.Body).ReadToEndAsync());

        var second = await reader.ReadNextSectionAsync(CancellationToken.None);
        Assert.Equal("inner", second!.NestedBoundary);
        using var nested = new MultipartReader(second.Body, second.NestedBoundary!);
        var json = await nested.ReadNextSectionAsync(CancellationToken.None);
        Assert.Equal("{\"_id\":\"a\"}", await new StreamReader(json!.Body).ReadToEndAsync());
        var attachment = await nested.ReadNextSectionAsync(CancellationToken.None);
        Assert.Equal("hello", await new StreamReader(attachment!.Body).ReadToEndAsync());
        Assert.Null(await nested.ReadNextSectionAsync(CancellationToken.None));

        Assert.Null(await reader.ReadNextSectionAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("_design%2Ffoo", "_design/foo")]
    [InlineData("with+space", "with space")]
    [InlineData("plus%2Bid", "plus+id")]
    [InlineData("%C3%BCn%C3%AFc%C3%B6d%C3%A9", "ünïcödé")]
    [InlineData("100%", "100%")]
    [InlineData("bad%zzescape", "bad%zzescape")]
    [InlineData("plain", "plain")]
    public void Doc_ids_are_unquoted_as_couchdb_unquotes_them(string given, string meant) =>
        Assert.Equal(meant, ChangesFilter.Unquote(given));
    private static DocRevision Revision(string json) => new(JsonDocument.Parse(json).RootElement);

    [Fact]
    public void Deep_comparison_sees_through_member_order_number_spelling_and_what_a_database_adds()
    {
        var source = Revision("""{"_id": "d", "_rev": "1-a", "a": 1.0, "b": {"x": [1, "two"], "y": null}, "_revisions": {"start": 1, "ids": ["a"]}}""");
        var target = Revision("""{"b": {"y": null, "x": [1, "two"]}, "a": 1, "_rev": "1-a", "_id": "d", "_conflicts": ["1-b"]}""");

        Assert.Empty(RevisionContent.Differences(source, target));
    }

    [Theory]
    [InlineData("""{"a": 1, "b": 2, "_attachments": {"n.txt": {"digest": "md5-same"}}}""", "BodyDiffers", "")]
    [InlineData("""{"a": 1, "_deleted": true, "_attachments": {"n.txt": {"digest": "md5-same"}}}""", "BodyDiffers", "")]
    [InlineData("""{"a": [1], "_attachments": {"n.txt": {"digest": "md5-same"}}}""", "BodyDiffers", "")]
    [InlineData("""{"a": 1, "_attachments": {"n.txt": {"digest": "md5-other"}}}""", "AttachmentDiffers", "n.txt")]
    [InlineData("""{"a": 1, "_attachments": {"n.txt": {"digest": "md5-same"}, "extra.bin": {"digest": "md5-x"}}}""", "AttachmentDiffers", "extra.bin")]
    [InlineData("""{"a": 1}""", "AttachmentDiffers", "n.txt")]
    public void Deep_comparison_names_what_differs(string targetBody, string kind, string detail)
    {
        var source = Revision("""{"_id": "d", "_rev": "1-a", "a": 1, "_attachments": {"n.txt": {"digest": "md5-same", "stub": true}}}""");
        var target = Revision(targetBody.Insert(1, "\"_id\": \"d\", \"_rev\": \"1-a\", "));

        var difference = Assert.Single(RevisionContent.Differences(source, target));

        Assert.Equal(new CouchDifference("d", "1-a", Enum.Parse<CouchDifferenceKind>(kind), detail), difference);
    }

    /// <summary>
    /// CouchDB digests a compressible attachment as it stores it, gzip; pouchdb-server digests the
    /// bytes it was given. Across the two, the decoded length and type stand in for the digest.
    /// </summary>
    [Theory]
    [InlineData("""{"digest": "md5-plain", "length": 600000, "content_type": "text/plain"}""", false)]
    [InlineData("""{"digest": "md5-plain", "length": 599999, "content_type": "text/plain"}""", true)]
    [InlineData("""{"digest": "md5-plain", "length": 600000, "content_type": "text/html"}""", true)]
    [InlineData("""{"digest": "md5-other", "length": 600000, "content_type": "text/plain", "encoding": "gzip", "encoded_length": 1516}""", true)]
    [InlineData("""{"digest": "md5-gzipped", "length": 600000, "content_type": "text/plain", "encoding": "gzip", "encoded_length": 1516}""", false)]
    public void Deep_comparison_of_a_compressed_attachment_with_one_stored_as_it_is(string targetStub, bool differs)
    {
        var source = Revision("""{"_id": "d", "_rev": "1-a", "_attachments": {"n.txt": {"digest": "md5-gzipped", "length": 600000, "content_type": "text/plain", "encoding": "gzip", "encoded_length": 1516, "stub": true}}}""");
        var target = Revision($$$"""{"_id": "d", "_rev": "1-a", "_attachments": {"n.txt": {{{targetStub}}}}}""");

        Assert.Equal(differs, RevisionContent.Differences(source, target).Any());
    }
}
