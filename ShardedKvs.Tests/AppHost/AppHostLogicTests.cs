using Microsoft.Extensions.Configuration;
using ShardedKvs.Aspire.Hosting;

namespace ShardedKvs.Tests.AppHost;

/// <summary>The AppHost's pure parts: how the dashboard commands pick the current view, and its options.</summary>
public sealed class AppHostLogicTests
{
    private static NodeViewResponse Answer(string address, string state, long epoch, string view) =>
        new("View retrieved successfully", address, state, epoch, view, PendingView: null);

    [Fact]
    public void Current_view_is_the_newest_among_serving_nodes_and_ignores_idle_and_forming_ones()
    {
        var current = ClusterView.Current(
        [
            Answer("a:1", "serving", 2, "a:1,b:2"),
            Answer("b:2", "changing", 3, "a:1,b:2,c:3"),
            Answer("c:3", "idle", 7, "x:9"),
            Answer("d:4", "forming", 0, "d:4"),
            null,
        ]);

        Assert.NotNull(current);
        Assert.Equal(3, current.Epoch);
        Assert.Equal("a:1,b:2,c:3", current.Text);
    }

    [Fact]
    public void No_current_view_while_no_node_serves()
    {
        Assert.Null(ClusterView.Current([Answer("a:1", "forming", 0, "a:1,b:2"), null]));
    }

    [Fact]
    public void With_appends_and_Without_removes_keeping_the_order()
    {
        var view = new ClusterView(4, ClusterView.Parse(" a:1, b:2 ,c:3,"));

        Assert.Equal("a:1,b:2,c:3,d:4", view.With("d:4").Text);
        Assert.Equal("a:1,c:3", view.Without("b:2").Text);
        Assert.True(view.Contains("c:3"));
        Assert.False(view.Contains("d:4"));
    }

    [Fact]
    public void Options_default_to_four_nodes_three_in_the_view_from_port_13801()
    {
        var options = ShardedKvsClusterOptions.From(new ConfigurationBuilder().Build());

        Assert.Equal((4, 3, 13801, null), (options.Nodes, options.InitialViewSize, options.BasePort, options.TokensPerNode));
        Assert.Equal(13804, options.PortOf(4));
    }

    [Theory]
    [InlineData("0", "1")]
    [InlineData("3", "4")]
    [InlineData("3", "0")]
    public void Options_refuse_a_view_larger_than_the_cluster_or_empty(string nodes, string viewSize)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Kvs:Nodes"] = nodes, ["Kvs:InitialViewSize"] = viewSize })
            .Build();

        Assert.Throws<InvalidOperationException>(() => ShardedKvsClusterOptions.From(configuration));
    }
}
