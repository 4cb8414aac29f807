using CouchReplication.FileDatabase;


namespace CouchReplication.Tests;

/// <summary>A database file's revision trees follow CouchDB's rules: the winner, conflicts, merging histories, revs_limit stemming.</summary>
public sealed class LocalFileRevisionTreeTests
{
    [Fact]
    public void The_winner_is_live_before_deleted_then_the_higher_generation_then_the_greater_revision_id()
    {
        var tree = RevisionTree.Empty();
        tree.Merge(["2-aaa", "1-root"], deleted: false, 1000);
        tree.Merge(["2-bbb", "1-root"], deleted: false, 1000);
        tree.Merge(["3-zzz", "2-ccc", "1-root"], deleted: true, 1000);

        Assert.Equal("2-bbb", tree.Winner);
        Assert.Equal(["2-aaa"], tree.Conflicts);
        Assert.Equal(["2-aaa", "2-bbb", "3-zzz"], tree.Leaves.Order(StringComparer.Ordinal));

        tree.Merge(["3-aaa", "2-aaa", "1-root"], deleted: false, 1000);
        Assert.Equal("3-aaa", tree.Winner);
        Assert.Equal(["3-aaa"], tree.LeavesFrom("2-aaa"));
        Assert.Equal(["3-aaa", "2-aaa", "1-root"], tree.Path("3-aaa"));
    }

    [Fact]
    public void A_known_revision_changes_nothing_and_stemming_keeps_the_newest_revs_limit_of_each_branch()
    {
        var tree = RevisionTree.Empty();
        Assert.True(tree.Merge(["4-d", "3-c", "2-b", "1-a"], deleted: false, 3));
        Assert.False(tree.Merge(["4-d", "3-c"], deleted: false, 3));

        Assert.Equal(["4-d", "3-c", "2-b"], tree.Path("4-d"));
        Assert.False(tree.Contains("1-a"));

        // A conflicting branch from an ancestor still kept joins the tree there.
        tree.Merge(["3-x", "2-b"], deleted: false, 3);
        Assert.Equal(["3-x", "2-b"], tree.Path("3-x"));
        Assert.Equal(tree.ToJson(), RevisionTree.Parse(tree.ToJson()).ToJson());
    }
}
