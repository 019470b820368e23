using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// A node cut off from every other node while clients still reach it (each node in its own network
/// namespace, the clients outside all of them): the majority excludes it and takes its keys over, the
/// cut-off node neither serves a stale read nor acknowledges a write, and once healed it learns it was
/// excluded, empties itself and rejoins. The whole history must be linearizable.
/// </summary>
[Collection(NetworkNamespaceCollection.Name)]
public sealed class PartitionedPrimaryTests(ITestOutputHelper output)
{
    private const int Keys = 150;
    private const int Port = 5080;

    [NetworkNamespaceFact]
    public async Task A_primary_cut_off_from_everyone_is_replaced_serves_nothing_stale_and_rejoins_when_healed()
    {
        using var network = new NetworkNamespaces(hosts: 5);
        await using ProcessCluster cluster = await ProcessCluster.StartInAsync(
            network,
            hosts: 5,
            Port,
            initialViewSize: 5,
            new Dictionary<string, string> { ["Kvs__ReplicationFactor"] = "3" });
        using var run = new FailoverRun(cluster, output, Keys, operationsBetweenSteps: 300);
        await run.StartAsync();

        int[] others = [1, 2, 3, 4];
        run.NoteKeysOf(0, cutOff: true);
        network.Cut(0, others);
        await run.WaitForExclusionAsync(0, "cut off");

        // The cut-off node knows it hears no majority: a request it cannot send on is refused at once,
        // as not done, rather than held until its deadline (the client goes to another node). A read of
        // a key outside the workload's, led by another node; a lane opened before the cut may still
        // take the first tries until it is found broken.
        var ring = new TokenRing([.. cluster.Addresses], replicationFactor: 3);
        string elsewhere = Enumerable.Range(0, 1000).Select(i => $"minority-{i}").First(key => ring.ReplicasOf(key)[0] != cluster.Addresses[0]);
        KvsResponse refused = await Eventually.Until(
            "the cut-off node to refuse a forward it cannot send",
            TimeSpan.FromSeconds(60),
            _ => cluster.Clients[0].GetKeyAsync(elsewhere),
            r => r.Field("error")?.Contains("hears no majority", StringComparison.Ordinal) == true);
        Assert.True(refused.Status == System.Net.HttpStatusCode.ServiceUnavailable && refused.Bool("executed") == false, refused.ToString());
        network.Heal(0, others);
        await run.WaitForReplicationAsync(expectedNodes: 5);

        await run.FinishAsync(expectedNodes: 5);
    }

    [NetworkNamespaceFact]
    public async Task A_view_change_under_way_when_a_primary_is_cut_off_completes_without_it_and_it_rejoins_when_healed()
    {
        using var network = new NetworkNamespaces(hosts: 5);
        await using ProcessCluster cluster = await ProcessCluster.StartInAsync(
            network,
            hosts: 5,
            Port,
            initialViewSize: 4,
            // Fills throttled so the change is still copying when one of its sources is cut off.
            new Dictionary<string, string> { ["Kvs__ReplicationFactor"] = "3", ["Kvs__FillKeysPerSecond"] = "5", ["Kvs__FillBatchKeys"] = "4" });
        using var run = new FailoverRun(cluster, output, Keys, operationsBetweenSteps: 300);
        await run.StartAsync();

        Task<KvsResponse> change = cluster.Clients[1].ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3, 4));
        await run.WaitForFillAsync(change);
        int[] others = [1, 2, 3, 4];
        run.NoteKeysOf(0, cutOff: true, [0, 1, 2, 3], [0, 1, 2, 3, 4]);
        network.Cut(0, others);
        await run.WaitForExclusionAsync(0, "cut off");

        KvsResponse changed = await change;
        Assert.True(changed.Status == System.Net.HttpStatusCode.OK, changed.ToString());
        output.WriteLine($"view change answered: {changed}");
        network.Heal(0, others);
        await run.WaitForReplicationAsync(expectedNodes: 5);

        await run.FinishAsync(expectedNodes: 5);
    }
}
