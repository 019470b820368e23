using System.Net;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Tests.Api;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// When a view change gives keys back to a node, it takes them over only once their previous primary,
/// alive, says it has finished the writes it began. On a busy machine that answer is slow; the
/// takeover must still end, and the view change answers with every key served. It timed out on loaded
/// machines until two causes were found (docs/replication.md): the node given its keys back was
/// suspected for the silence since its removal and excluded before its first heartbeat, and the
/// takeover from the excluded process then waited for leases its new process kept renewing.
/// </summary>
public sealed class SlowDrainCheckTests
{
    [Fact]
    public async Task Keys_handed_back_by_a_view_change_are_served_when_it_answers_though_drain_checks_are_slow()
    {
        var faults = new PeerFaults { Delay = request => PeerFaults.Is(request, PeerRoutes.Drained) ? TimeSpan.FromMilliseconds(600) : TimeSpan.Zero };
        await using TestCluster cluster = await TestCluster.StartAsync(
            nodes: 3,
            settings: new Dictionary<string, string?> { ["Kvs:ReplicationFactor"] = "3" },
            configure: (_, builder) => faults.InstallOn(builder));
        string[] keys = [.. Enumerable.Range(0, 10).Select(i => Keys.OwnedBy(cluster[2], $"handed-back-{i}"))];
        foreach (string key in keys)
        {
            Assert.Equal(HttpStatusCode.Created, (await cluster[0].Client.PutAsync(key, key)).Status);
        }

        KvsResponse shrink = await cluster[0].Client.ChangeViewAsync(cluster.ViewOf(0, 1));
        Assert.True(shrink.Status == HttpStatusCode.OK, shrink.ToString());
        KvsResponse back = await cluster[0].Client.ChangeViewAsync(cluster.InitialView);
        Assert.True(back.Status == HttpStatusCode.OK, back.ToString());

        foreach (string key in keys)
        {
            await ApiAssert.HasValueAsync(cluster[0].Client, key, key);
        }
    }
}
