using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// Issue 11's promise with real processes: nodes die by SIGKILL (memory gone, no goodbye) under 12
/// clients, the survivors exclude them without an operator, and the history stays linearizable per key
/// with no acknowledged write lost. Every run reports how long keys were unavailable.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    private const int Keys = 200;

    private static readonly Dictionary<string, string> Replicated = new() { ["Kvs__ReplicationFactor"] = "3" };

    /// <summary>Fills throttled so a view change is still copying when a node dies during it.</summary>
    private static readonly Dictionary<string, string> SlowFills = new(Replicated) { ["Kvs__FillKeysPerSecond"] = "5", ["Kvs__FillBatchKeys"] = "4" };

    [Fact]
    public async Task A_killed_node_is_excluded_by_the_survivors_and_no_acknowledged_write_is_lost()
    {
        await using ProcessCluster cluster = await ProcessCluster.StartAsync(nodes: 5, initialViewSize: 5, Replicated);
        using var run = new FailoverRun(cluster, output, Keys);
        await run.StartAsync();

        await run.KillAndWaitForExclusionAsync(1);
        await run.WaitForReplicationAsync(expectedNodes: 4);

        await run.FinishAsync(expectedNodes: 4);
    }

    [Fact]
    public async Task Two_nodes_killed_one_after_the_other_in_a_five_node_cluster_lose_nothing()
    {
        await using ProcessCluster cluster = await ProcessCluster.StartAsync(nodes: 5, initialViewSize: 5, Replicated);
        using var run = new FailoverRun(cluster, output, Keys);
        await run.StartAsync();

        await run.KillAndWaitForExclusionAsync(0);
        await run.WaitForReplicationAsync(expectedNodes: 4);
        await run.KillAndWaitForExclusionAsync(3);
        await run.WaitForReplicationAsync(expectedNodes: 3);

        await run.FinishAsync(expectedNodes: 3);
    }

    [Fact]
    public async Task A_view_change_goes_on_when_the_node_that_received_it_dies_and_a_dead_node_can_then_be_removed()
    {
        await using ProcessCluster cluster = await ProcessCluster.StartAsync(nodes: 5, initialViewSize: 4, SlowFills);
        using var run = new FailoverRun(cluster, output, Keys);
        await run.StartAsync();

        // Node 0 receives the change adding node 4 and dies while the new replicas are being filled;
        // the configuration log holds the change, and the other sources finish it.
        Task<KvsResponse> coordinated = cluster.Clients[0].ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3, 4));
        await run.WaitForFillAsync(coordinated);
        bool answeredBeforeDeath = coordinated.IsCompleted;
        await run.KillAndWaitForExclusionAsync(0, [0, 1, 2, 3], [0, 1, 2, 3, 4]);
        Exception? lost = await Record.ExceptionAsync(() => coordinated);
        output.WriteLine(answeredBeforeDeath
            ? "the change was answered before its coordinator died (the fill was faster than its throttle allows)"
            : $"the coordinator died before answering ({lost?.GetType().Name ?? "answered"})");
        await run.WaitForReplicationAsync(expectedNodes: 4);

        // A change that keeps the dead, excluded node in the view would add it back as a new member:
        // refused, and the answer says what to do.
        KvsResponse kept = await cluster.Clients[1].ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3, 4));
        Assert.True(kept.Status == System.Net.HttpStatusCode.ServiceUnavailable, kept.ToString());
        Assert.Equal(cluster.Addresses[0], kept.Field("address"));
        Assert.Contains("was excluded from the cluster and is unreachable", kept.Field("error"), StringComparison.Ordinal);
        Assert.Contains("leave it out of the view to remove it", kept.Field("error"), StringComparison.Ordinal);
        output.WriteLine($"view keeping the dead node: {kept}");

        // The dead node leaves the view by an ordinary view change, sent while it is still dead.
        KvsResponse removed = await cluster.Clients[1].ChangeViewAsync(cluster.ViewOf(1, 2, 3, 4));
        Assert.True(removed.Status == System.Net.HttpStatusCode.OK, removed.ToString());
        output.WriteLine($"view without the dead node: {removed}");
        await run.WaitForReplicationAsync(expectedNodes: 4);

        await run.FinishAsync(expectedNodes: 4);
    }

    [Fact]
    public async Task A_node_killed_and_restarted_while_a_view_change_fills_rejoins_and_the_change_completes()
    {
        await using ProcessCluster cluster = await ProcessCluster.StartAsync(nodes: 5, initialViewSize: 4, SlowFills);
        using var run = new FailoverRun(cluster, output, Keys);
        await run.StartAsync();

        Task<KvsResponse> change = cluster.Clients[1].ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3, 4));
        await run.WaitForFillAsync(change);
        await run.KillAndWaitForExclusionAsync(2, [0, 1, 2, 3], [0, 1, 2, 3, 4]);
        run.Restart(2);

        KvsResponse changed = await change;
        Assert.True(changed.Status == System.Net.HttpStatusCode.OK, changed.ToString());
        output.WriteLine($"view change answered: {changed}");
        await run.WaitForReplicationAsync(expectedNodes: 5);

        await run.FinishAsync(expectedNodes: 5);
    }

    [Fact]
    public async Task A_restarted_node_rejoins_empty_is_filled_and_serves_again()
    {
        await using ProcessCluster cluster = await ProcessCluster.StartAsync(nodes: 4, initialViewSize: 4, Replicated);
        using var run = new FailoverRun(cluster, output, Keys);
        await run.StartAsync();

        await run.KillAndWaitForExclusionAsync(2);
        run.Restart(2);
        await run.WaitForReplicationAsync(expectedNodes: 4);

        await run.FinishAsync(expectedNodes: 4);
    }
}
