using System.Net;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster;

/// <summary>Nodes that are down for good: removing them, and what it costs.</summary>
public sealed class DeadNodeTests
{
    private const int Keys = 200;

    [Fact]
    public async Task A_dead_node_is_removed_by_a_view_without_it_losing_only_its_own_keys()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 3, settings: RoundOne.Settings());
        await Parallel.ForAsync(0, Keys, async (i, _) => await cluster[0].Client.PutAsync($"key{i}", $"value{i}"));
        HashSet<string> onDeadNode = [.. cluster[2].Store.Entries.Select(e => e.Key)];
        Assert.NotEmpty(onDeadNode);

        await cluster[2].StopAsync();
        KvsResponse change = await cluster[1].Client.ChangeViewAsync(cluster.ViewOf(0, 1));

        Assert.Equal(HttpStatusCode.OK, change.Status);
        Assert.Equal([cluster[2].Address], change.Body["lostNodes"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(Keys - onDeadNode.Count, change.Body["shards"]!.AsArray().Sum(s => s!["key-count"]!.GetValue<int>()));
        for (int i = 0; i < Keys; i++)
        {
            KvsResponse read = await cluster[i % 2].Client.GetKeyAsync($"key{i}");
            Assert.Equal(onDeadNode.Contains($"key{i}") ? HttpStatusCode.NotFound : HttpStatusCode.OK, read.Status);
        }
    }

    [Fact]
    public async Task A_view_that_keeps_a_dead_node_is_refused_and_changes_nothing()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 4, initialViewSize: 3, settings: RoundOne.Settings());
        await Parallel.ForAsync(0, Keys, async (i, _) => await cluster[0].Client.PutAsync($"key{i}", $"value{i}"));
        int[] countsBefore = cluster.Nodes.Take(3).Select(n => n.Store.Count).ToArray();
        await cluster[2].StopAsync();

        KvsResponse change = await cluster[0].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, change.Status);
        Assert.Equal(cluster[2].Address, change.Field("address"));
        Assert.Contains(cluster[2].Address, change.Field("error"), StringComparison.Ordinal);
        Assert.Equal(countsBefore[..2], cluster.Nodes.Take(2).Select(n => n.Store.Count));
        Assert.Equal(0, cluster[3].Store.Count);
        Assert.All(cluster.Nodes.Take(2), n => Assert.Equal(1, n.Snapshot.Current.Epoch));
        Assert.All(cluster.Nodes.Where(n => n.IsRunning), n => Assert.Null(n.Snapshot.Pending));

        // A key the dead node owned answers 503 naming it, never 404.
        string deadKey = Enumerable.Range(0, Keys).Select(i => $"key{i}").First(k => cluster[0].Snapshot.Current.Ring.OwnerOf(k) == cluster[2].Address);
        KvsResponse read = await cluster[0].Client.GetKeyAsync(deadKey);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, read.Status);
        Assert.Equal(cluster[2].Address, read.Field("address"));
    }
}
