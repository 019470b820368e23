using System.Net;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.ViewChange;

public sealed class ConcurrentViewChangeTests
{
    [Fact]
    public async Task Of_two_different_concurrent_view_changes_one_wins_and_the_other_gets_409()
    {
        var faults = new PeerFaults();
        await using TestCluster cluster = await TestCluster.StartAsync(
            nodes: 5, initialViewSize: 3, settings: RoundOne.Settings(), configure: (_, builder) => faults.InstallOn(builder));
        await Parallel.ForAsync(0, 100, async (i, _) => await cluster[0].Client.PutAsync($"key{i}", $"v{i}"));
        // The first change's batches wait at a gate, so it is still moving keys when the second arrives.
        var batches = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        faults.Hold = request => PeerFaults.Is(request, PeerRoutes.MigrationBatch) ? batches.Task : null;

        Task<KvsResponse> first = cluster[0].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3));
        KvsResponse second;
        try
        {
            await Eventually.WaitUntilAsync(() => Task.FromResult(cluster[1].Snapshot.HandingOff), TimeSpan.FromSeconds(10), "the first change to start moving keys");
            second = await cluster[1].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2, 4));
        }
        finally
        {
            batches.TrySetResult();
        }

        KvsResponse winner = await first;

        Assert.Equal(HttpStatusCode.OK, winner.Status);
        Assert.Equal(HttpStatusCode.Conflict, second.Status);
        Assert.Equal("Error in PUT", second.Field("message"));
        Assert.All(cluster.Nodes.Take(4), n => Assert.Equal(cluster.ViewOf(0, 1, 2, 3), n.Snapshot.Current.Text));
        Assert.Equal(NodeStatus.Idle, cluster[4].Snapshot.Status);
        Assert.Equal(100, cluster.Nodes.Sum(n => n.Store.Count));
    }

    [Fact]
    public async Task A_restarted_node_learns_the_current_view_from_its_peers()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 4, initialViewSize: 3, settings: RoundOne.Settings());
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3))).Status);
        await cluster[0].Client.PutAsync("after-change", "v");

        // Node 1 restarts with its original VIEW of three nodes; the cluster has moved on to epoch 2.
        TestNode restarted = await cluster.RestartAsync(1);
        await Eventually.WaitUntilAsync(() => Task.FromResult(restarted.Snapshot.Status == NodeStatus.Serving), TimeSpan.FromSeconds(10), "the restarted node to serve");

        Assert.Equal(2, restarted.Snapshot.Current.Epoch);
        Assert.Equal(cluster.ViewOf(0, 1, 2, 3), restarted.Snapshot.Current.Text);
        KvsResponse read = await restarted.Client.GetKeyAsync("after-change");
        bool ownedByRestarted = restarted.Snapshot.Current.Ring.OwnerOf("after-change") == restarted.Address;
        Assert.Equal(ownedByRestarted ? HttpStatusCode.NotFound : HttpStatusCode.OK, read.Status); // its own keys are gone, others' are served
    }
}
