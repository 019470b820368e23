using System.Net;
using System.Text.Json.Nodes;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// When a majority dies the cluster can decide nothing by itself: the survivor refuses writes it could
/// not replicate and excludes no one. An operator's forced exclusion on the survivor (real processes,
/// SIGKILL) makes it the only voter; it serves every key it holds again, and the dead nodes, restarted,
/// rejoin as new members and are filled back to three copies.
/// </summary>
public sealed class ForcedExclusionTests(ITestOutputHelper output)
{
    private const int Keys = 40;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task After_two_of_three_nodes_die_a_forced_exclusion_brings_the_survivor_back_and_the_dead_rejoin()
    {
        await using ProcessCluster cluster = await ProcessCluster.StartAsync(nodes: 3, initialViewSize: 3, new Dictionary<string, string> { ["Kvs__ReplicationFactor"] = "3" });
        HttpClient survivor = cluster.Clients[0];
        for (int i = 0; i < Keys; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await survivor.PutAsync($"key{i}", $"v{i}")).Status);
        }

        KvsResponse refused = await ForceAsync(survivor);
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        output.WriteLine($"with every node alive: {refused}");

        cluster.Kill(1);
        cluster.Kill(2);
        KvsResponse forced = await Eventually.Until("the survivor to suspect both dead nodes and force their exclusion", Patience, _ => ForceAsync(survivor), r => r.Status == HttpStatusCode.OK);
        output.WriteLine($"forced: {forced}");
        Assert.Equal(
            new[] { cluster.Addresses[1], cluster.Addresses[2] }.Order(),
            forced.Body["excluded"]!.AsArray().Select(a => a!.GetValue<string>()).Order());

        // Alone, it holds every key (R = 3 on three nodes) and serves them: reads at once, and new writes
        // once its fill has switched the placement to itself (until then two of every key's three
        // replicas are lost, fewer than a write needs).
        await Eventually.Until("the survivor to serve the keys it holds", Patience, _ => survivor.GetKeyAsync("key0"), r => r.Status == HttpStatusCode.OK);
        for (int i = 0; i < Keys; i++)
        {
            Assert.Equal($"v{i}", (await survivor.GetKeyAsync($"key{i}")).Body["value"]!.GetValue<string>());
        }

        long forcedEpoch = forced.Body["epoch"]!.GetValue<long>();
        await Eventually.WaitUntilAsync(
            async () => await cluster.ViewAsync(0) is { } view && view["epoch"]!.GetValue<long>() >= forcedEpoch && view["fill"] is null,
            Patience,
            "the survivor's fill to switch");
        Assert.Equal(HttpStatusCode.OK, (await survivor.PutAsync("key0", "after")).Status);

        cluster.Restart(1);
        cluster.Restart(2);
        await Eventually.WaitUntilAsync(
            async () => (await Task.WhenAll(Enumerable.Range(0, 3).Select(cluster.ViewAsync))).All(v => v?["state"]?.GetValue<string>() == "serving" && v["fill"] is null),
            Patience,
            "the restarted nodes to rejoin and be filled");
        int copies = 0;
        for (int node = 0; node < 3; node++)
        {
            KvsResponse counts = await cluster.Clients[node].SendAsync(HttpMethod.Get, "/kvs/key-count");
            copies += counts.Body["key-count"]!.GetValue<int>() + counts.Body["replica-key-count"]!.GetValue<int>();
        }

        Assert.Equal(3 * Keys, copies);
        Assert.Equal("after", (await cluster.Clients[2].GetKeyAsync("key0")).Body["value"]!.GetValue<string>());
    }

    private static Task<KvsResponse> ForceAsync(HttpClient node) => node.SendAsync(HttpMethod.Post, "/kvs/admin/force-exclusion");
}
