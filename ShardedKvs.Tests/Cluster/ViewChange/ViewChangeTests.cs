using System.Net;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.ViewChange;

public sealed class ViewChangeTests
{
    private const int Keys = 300;

    [Fact]
    public async Task Adding_two_nodes_moves_only_keys_whose_owner_changes()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 5, initialViewSize: 3, settings: RoundOne.Settings());
        await WriteKeysAsync(cluster);
        Dictionary<string, string> before = OwnersByNode(cluster);

        KvsResponse change = await cluster[1].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3, 4));

        Assert.Equal(HttpStatusCode.OK, change.Status);
        var newRing = new TokenRing([.. cluster.Nodes.Select(n => n.Address)]);
        Dictionary<string, string> after = OwnersByNode(cluster);
        Assert.Equal(Keys, after.Count);
        foreach ((string key, string holder) in after)
        {
            Assert.Equal(newRing.OwnerOf(key), holder);
            if (holder != cluster[3].Address && holder != cluster[4].Address)
            {
                Assert.Equal(before[key], holder); // a key stays put unless a new node owns it
            }
        }

        await AssertAllReadableAsync(cluster, through: cluster[4]);
        Assert.All(cluster.Nodes, n => Assert.Equal(2, n.Snapshot.Current.Epoch));
    }

    [Fact]
    public async Task Removing_nodes_hands_their_keys_to_the_rest_and_idles_them()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 4, settings: RoundOne.Settings());
        await WriteKeysAsync(cluster);

        KvsResponse change = await cluster[3].Client.ChangeViewAsync(cluster.ViewOf(0, 2));

        Assert.Equal(HttpStatusCode.OK, change.Status);
        Assert.Equal(Keys, change.Body["shards"]!.AsArray().Sum(s => s!["key-count"]!.GetValue<int>()));
        Assert.Equal(0, cluster[1].Store.Count);
        Assert.Equal(0, cluster[3].Store.Count);
        Assert.Equal(NodeStatus.Idle, cluster[1].Snapshot.Status);
        Assert.Equal(NodeStatus.Idle, cluster[3].Snapshot.Status);
        await AssertAllReadableAsync(cluster, through: cluster[2]);

        KvsResponse idle = await cluster[1].Client.GetKeyAsync("key1");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, idle.Status);
        Assert.Equal(cluster.ViewOf(0, 2), idle.Field("view"));
    }

    [Fact]
    public async Task A_view_that_replaces_every_current_node_moves_every_key_to_the_new_ones()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 4, initialViewSize: 2, settings: RoundOne.Settings());
        await WriteKeysAsync(cluster);

        KvsResponse change = await cluster[0].Client.ChangeViewAsync(cluster.ViewOf(2, 3));

        Assert.Equal(HttpStatusCode.OK, change.Status);
        Assert.Equal(Keys, change.Body["shards"]!.AsArray().Sum(s => s!["key-count"]!.GetValue<int>()));
        Assert.Equal(NodeStatus.Idle, cluster[0].Snapshot.Status);
        Assert.Equal(NodeStatus.Idle, cluster[1].Snapshot.Status);
        Assert.Equal(0, cluster[0].Store.Count + cluster[1].Store.Count);
        await AssertAllReadableAsync(cluster, through: cluster[3]);
    }

    [Fact]
    public async Task A_view_that_replaces_every_current_node_with_an_unreachable_one_changes_nothing()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 2, settings: RoundOne.Settings());
        await WriteKeysAsync(cluster);
        string nowhere = $"127.0.0.1:{FreePorts.Take(1)[0]}";

        KvsResponse change = await cluster[0].Client.ChangeViewAsync(nowhere);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, change.Status);
        Assert.Equal(nowhere, change.Field("address"));
        Assert.All(cluster.Nodes, n => Assert.Equal(1, n.Snapshot.Current.Epoch));
        Assert.All(cluster.Nodes, n => Assert.Null(n.Snapshot.Pending));
        Assert.Equal(Keys, cluster[0].Store.Count + cluster[1].Store.Count);
        await AssertAllReadableAsync(cluster, through: cluster[1]);
    }

    [Fact]
    public async Task Re_issuing_the_current_view_changes_nothing_and_reports_counts()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 2, settings: RoundOne.Settings());
        await WriteKeysAsync(cluster);

        KvsResponse again = await cluster[0].Client.ChangeViewAsync(cluster.InitialView);

        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(Keys, again.Body["shards"]!.AsArray().Sum(s => s!["key-count"]!.GetValue<int>()));
        Assert.All(cluster.Nodes, n => Assert.Equal(1, n.Snapshot.Current.Epoch));
    }

    [Fact]
    public async Task Requests_keep_succeeding_through_back_to_back_view_changes()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 4, initialViewSize: 2, settings: RoundOne.Settings(new Dictionary<string, string?> { ["Kvs:MigrationBatchSize"] = "7" }));
        await WriteKeysAsync(cluster);
        using var stop = new CancellationTokenSource();
        var lastWritten = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        Task[] clients = Enumerable.Range(0, 6).Select(c => Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                string key = $"client{c}-key{i % 20}";
                string value = $"c{c}-{i}";
                KvsResponse put = await cluster[i % 4].Client.PutAsync(key, value);
                if (put.Status is not (HttpStatusCode.OK or HttpStatusCode.Created))
                {
                    failures.Enqueue($"PUT {key}: {put}");
                    continue;
                }

                lastWritten[key] = value;
                KvsResponse read = await cluster[(i + 1) % 4].Client.GetKeyAsync(key);
                if (read.Status != HttpStatusCode.OK || read.Field("value") != value)
                {
                    failures.Enqueue($"GET {key} after writing {value}: {read}");
                }
            }
        })).ToArray();

        // Each change goes through a node that is in both the old and the new view.
        foreach ((int coordinator, int[] view) in new[] { (0, new[] { 0, 1, 2 }), (1, [0, 1, 2, 3]), (3, [1, 3]), (1, [0, 1, 2, 3]), (2, [2, 3]) })
        {
            KvsResponse change = await cluster[coordinator].Client.ChangeViewAsync(cluster.ViewOf(view));
            Assert.True(change.Status == HttpStatusCode.OK, change.ToString());
        }

        await stop.CancelAsync();
        await Task.WhenAll(clients);

        // Idle nodes answer 503 for client requests: only count failures against members.
        string[] memberFailures = failures.Where(f => !f.Contains("Node is not in the view", StringComparison.Ordinal)).ToArray();
        Assert.True(memberFailures.Length == 0, string.Join('\n', memberFailures));
        foreach ((string key, string value) in lastWritten)
        {
            Assert.Equal(value, (await cluster[2].Client.GetKeyAsync(key)).Field("value"));
        }
    }

    private static async Task WriteKeysAsync(TestCluster cluster)
    {
        await Parallel.ForAsync(0, Keys, async (i, _) =>
            Assert.Equal(HttpStatusCode.Created, (await cluster[0].Client.PutAsync($"key{i}", $"value{i}")).Status));
    }

    private static Dictionary<string, string> OwnersByNode(TestCluster cluster) =>
        cluster.Nodes.Where(n => n.IsRunning)
            .SelectMany(n => n.Store.Entries.Select(e => (e.Key, n.Address)))
            .ToDictionary(e => e.Key, e => e.Address);

    private static async Task AssertAllReadableAsync(TestCluster cluster, TestNode through)
    {
        for (int i = 0; i < Keys; i++)
        {
            KvsResponse read = await through.Client.GetKeyAsync($"key{i}");
            Assert.Equal(HttpStatusCode.OK, read.Status);
            Assert.Equal($"value{i}", read.Field("value"));
        }
    }
}
