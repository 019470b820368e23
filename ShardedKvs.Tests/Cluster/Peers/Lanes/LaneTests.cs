using System.Net;
using Microsoft.Extensions.DependencyInjection;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Api;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Peers.Lanes;

/// <summary>Forwards share one lane per peer: what that must not cost a client.</summary>
public sealed class LaneTests
{
    [Fact]
    public async Task A_forward_waiting_for_its_key_to_be_handed_over_holds_up_no_other_forward_on_the_lane()
    {
        var faults = new PeerFaults();
        await using TestCluster cluster = await TestCluster.StartAsync(
            nodes: 3, initialViewSize: 2, settings: RoundOne.Settings(), configure: (_, builder) => faults.InstallOn(builder));
        var grown = new TokenRing([cluster[0].Address, cluster[1].Address, cluster[2].Address], TokenRing.DefaultTokensPerNode);
        string[] moving = Enumerable.Range(0, 40).Select(i => KeyWith(cluster, i, stays: false, grown)).ToArray();
        string staying = KeyWith(cluster, 0, stays: true, grown);
        await Parallel.ForEachAsync(moving.Append(staying), async (key, _) => await cluster[0].Client.PutAsync(key, "v-" + key));

        // Node 0's batch to the joiner stays in flight until the test opens the gate, and its keys with it.
        var batches = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        faults.Hold = request => PeerFaults.Is(request, PeerRoutes.MigrationBatch) ? batches.Task : null;
        Task<KvsResponse> change = cluster[1].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2));
        KeysInFlight inFlight = cluster[0].Services.GetRequiredService<KeysInFlight>();
        string parked = await Eventually.Until(
            "a key of node 0 to be in flight to the joiner", TimeSpan.FromSeconds(10),
            _ => Task.FromResult(moving.FirstOrDefault(key => inFlight.IsHandingOff(key, out Task _))),
            key => key is not null) ?? "";

        // Both reads go from node 1 to node 0, on node 1's one lane to it.
        Task<KvsResponse> waiting = cluster[1].Client.GetKeyAsync(parked);
        KvsResponse other;
        try
        {
            other = await cluster[1].Client.GetKeyAsync(staying);
            Assert.False(waiting.IsCompleted, "the read of the key in flight waits for its batch, not the other way round");
        }
        finally
        {
            batches.TrySetResult();
        }

        Assert.Equal(HttpStatusCode.OK, other.Status);
        Assert.Equal("v-" + staying, other.Field("value"));
        KvsResponse handedOver = await waiting;
        Assert.Equal(HttpStatusCode.OK, handedOver.Status);
        Assert.Equal("v-" + parked, handedOver.Field("value"));
        Assert.Equal(HttpStatusCode.OK, (await change).Status);
    }

    [Fact]
    public async Task After_the_owner_restarts_the_next_forward_opens_a_new_lane()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 2, settings: RoundOne.Settings());
        string before = Keys.OwnedBy(cluster[1], "lane");
        Assert.Equal(HttpStatusCode.Created, (await cluster[0].Client.PutAsync(before, "v")).Status);

        await cluster.RestartAsync(1);
        await Eventually.WaitUntilAsync(() => Task.FromResult(cluster[1].Snapshot.Status == NodeStatus.Serving), TimeSpan.FromSeconds(10), "node 1 to serve again");

        // The restarted owner lost its keys (the store is in memory) and answers on a new lane.
        string after = Keys.OwnedBy(cluster[1], "lane");
        KvsResponse put = await Eventually.Until(
            "a forwarded PUT to reach the restarted owner", TimeSpan.FromSeconds(10),
            _ => cluster[0].Client.PutAsync(after, "w"),
            response => response.Status != HttpStatusCode.ServiceUnavailable);
        Assert.Equal(HttpStatusCode.Created, put.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await cluster[0].Client.GetKeyAsync(before)).Status);
        Assert.Equal("w", (await cluster[0].Client.GetKeyAsync(after)).Field("value"));
    }

    /// <summary>A key node 0 owns now that either stays with it or moves to node 2 when node 2 joins.</summary>
    private static string KeyWith(TestCluster cluster, int salt, bool stays, TokenRing grown)
    {
        for (int i = 0; ; i++)
        {
            string key = $"lane-{salt}-{i}-{Guid.NewGuid():N}"[..30];
            if (cluster[0].Snapshot.Current.Ring.OwnerOf(key) == cluster[0].Address
                && (grown.OwnerOf(key) == cluster[0].Address) == stays)
            {
                return key;
            }
        }
    }
}
