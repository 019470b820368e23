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
