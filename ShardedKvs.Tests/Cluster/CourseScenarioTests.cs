using System.Net;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster;

/// <summary>The reference project's course scenario, against real nodes.</summary>
public sealed class CourseScenarioTests
{
    private const int Keys = 100;

    [Fact]
    public async Task Keys_added_updated_read_counted_and_deleted_through_either_node()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 2);
        HttpClient first = cluster[0].Client;
        HttpClient second = cluster[1].Client;

        for (int i = 0; i < Keys; i++)
        {
            KvsResponse added = await first.PutAsync($"key{i}", $"value{i}");
            Assert.Equal(HttpStatusCode.Created, added.Status);
            Assert.Equal("Added successfully", added.Field("message"));
            Assert.False(added.Bool("replaced"));
        }

        for (int i = 0; i < Keys; i++)
        {
            KvsResponse updated = await second.PutAsync($"key{i}", $"updated{i}");
            Assert.Equal(HttpStatusCode.OK, updated.Status);
            Assert.Equal("Updated successfully", updated.Field("message"));
            Assert.True(updated.Bool("replaced"));
        }

        int forwarded = 0;
        for (int i = 0; i < Keys; i++)
        {
            KvsResponse read = await (i % 2 == 0 ? first : second).GetKeyAsync($"key{i}");
            Assert.Equal(HttpStatusCode.OK, read.Status);
            Assert.Equal($"updated{i}", read.Field("value"));
            Assert.Equal("Retrieved successfully", read.Field("message"));
            Assert.True(read.Bool("doesExist"));
            if (read.Field("address") is { } owner)
            {
                Assert.Contains(owner, new[] { cluster[0].Address, cluster[1].Address });
                forwarded++;
            }
        }

        Assert.InRange(forwarded, 1, Keys - 1);
        Assert.Equal(Keys, await first.KeyCountAsync() + await second.KeyCountAsync());

        for (int i = 0; i < Keys; i++)
        {
            KvsResponse deleted = await (i % 2 == 0 ? second : first).DeleteKeyAsync($"key{i}");
            Assert.Equal(HttpStatusCode.OK, deleted.Status);
            Assert.Equal("Deleted successfully", deleted.Field("message"));
            KvsResponse gone = await first.GetKeyAsync($"key{i}");
            Assert.Equal(HttpStatusCode.NotFound, gone.Status);
            Assert.Equal("Key does not exist", gone.Field("error"));
            Assert.Equal("Error in GET", gone.Field("message"));
        }

        Assert.Equal(0, await first.KeyCountAsync() + await second.KeyCountAsync());
    }

    [Fact]
    public async Task View_change_from_two_to_three_nodes_keeps_every_key_and_reports_counts()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 3, initialViewSize: 2);
        for (int i = 0; i < Keys; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await cluster[i % 2].Client.PutAsync($"key{i}", $"value{i}")).Status);
        }

        KvsResponse change = await cluster[0].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2));

        Assert.Equal(HttpStatusCode.OK, change.Status);
        Assert.Equal("View change successful", change.Field("message"));
        var shards = change.Body["shards"]!.AsArray();
        Assert.Equal(new[] { cluster[0].Address, cluster[1].Address, cluster[2].Address }, shards.Select(s => s!["address"]!.GetValue<string>()));
        Assert.Equal(Keys, shards.Sum(s => s!["key-count"]!.GetValue<int>()));
        Assert.All(shards, s => Assert.True(s!["key-count"]!.GetValue<int>() > 0));

        for (int i = 0; i < Keys; i++)
        {
            KvsResponse deleted = await cluster[i % 3].Client.DeleteKeyAsync($"key{i}");
            Assert.Equal(HttpStatusCode.OK, deleted.Status);
        }

        foreach (TestNode node in cluster.Nodes)
        {
            Assert.Equal(0, await node.Client.KeyCountAsync());
        }
    }
}
