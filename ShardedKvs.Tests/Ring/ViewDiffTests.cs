using System.Collections.Immutable;
using ShardedKvs.Ring;

namespace ShardedKvs.Tests.Ring;

public class ViewDiffTests
{
    [Fact]
    public void Same_view_is_empty()
    {
        var diff = ViewDiff.Between(["a:1", "b:2"], ["a:1", "b:2"]);

        Assert.True(diff.IsEmpty);
        Assert.Empty(diff.Added);
        Assert.Empty(diff.Removed);
    }

    // The ring does not depend on view order, so a reordering is not a change.
    [Fact]
    public void Reordered_view_is_empty() =>
        Assert.True(ViewDiff.Between(["a:1", "b:2", "c:3"], ["c:3", "a:1", "b:2"]).IsEmpty);

    [Fact]
    public void Added_node_is_reported()
    {
        var diff = ViewDiff.Between(["a:1", "b:2"], ["a:1", "b:2", "c:3"]);

        Assert.False(diff.IsEmpty);
        Assert.Equal<string>(["c:3"], diff.Added);
        Assert.Empty(diff.Removed);
    }

    [Fact]
    public void Removed_node_is_reported()
    {
        var diff = ViewDiff.Between(["a:1", "b:2", "c:3"], ["a:1", "c:3"]);

        Assert.False(diff.IsEmpty);
        Assert.Empty(diff.Added);
        Assert.Equal<string>(["b:2"], diff.Removed);
    }

    [Fact]
    public void Replacement_reports_both_sides_in_view_order()
    {
        var diff = ViewDiff.Between(["a:1", "b:2", "c:3", "d:4"], ["e:5", "a:1", "d:4", "f:6"]);

        Assert.Equal<string>(["e:5", "f:6"], diff.Added);
        Assert.Equal<string>(["b:2", "c:3"], diff.Removed);
    }

    [Fact]
    public void From_an_empty_view_everything_is_added() =>
        Assert.Equal<string>(["a:1", "b:2"], ViewDiff.Between(ImmutableArray<string>.Empty, ["a:1", "b:2"]).Added);
}
