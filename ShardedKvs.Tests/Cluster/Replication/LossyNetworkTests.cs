using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// Every peer call over a network that loses packets and is slow: each node in its own network
/// namespace drops one packet in every few it receives from each other node, so forwards, replicated
/// writes, heartbeats, votes and fill batches all meet TCP retransmissions (lost, then late), and
/// everything the nodes send each other arrives milliseconds late, answers included (a relay in front
/// of each node, <see cref="DelayRelay"/>). A view change runs and a node is SIGKILLed during it; the
/// history must stay linearizable and every key end on exactly its replicas. The drop rates and
/// delays are drawn from a printed seed.
/// </summary>
[Collection(NetworkNamespaceCollection.Name)]
public sealed class LossyNetworkTests(ITestOutputHelper output)
{
    private const int Keys = 150;
    private const int Port = 5080;

    [NetworkNamespaceFact("iptables")]
    public Task A_view_change_and_a_kill_over_a_lossy_slow_network_lose_nothing()
    {
        var random = new SeededRandom(FaultSeed.Choose());
        output.WriteLine($"fault seed {random.Seed} ({FaultSeed.Variable}={random.Seed} replays it)");
        return FaultSeed.ReplayableAsync(random.Seed, () => RunAsync(random));
    }

    private async Task RunAsync(SeededRandom random)
    {
        const int hosts = 5;
        using var network = new NetworkNamespaces(hosts);
        foreach ((int host, int from, int every) in network.DropBetweenAll(random, 12, 26)) // 4-8% of the packets between two nodes
        {
            output.WriteLine($"node {host} drops 1 packet in {every} from node {from}");
        }

        foreach ((int host, int delay) in network.DelayBetweenAll(random, Port, 2, 11))
        {
            output.WriteLine($"node {host} receives its peers' traffic {delay} to {2 * delay} ms late");
        }

        await using ProcessCluster cluster = await ProcessCluster.StartInAsync(
            network,
            hosts,
            Port,
            initialViewSize: 4,
            // Fills throttled so the change is still copying when one of its sources dies.
            new Dictionary<string, string> { ["Kvs__ReplicationFactor"] = "3", ["Kvs__FillKeysPerSecond"] = "5", ["Kvs__FillBatchKeys"] = "4" });
        using var run = new FailoverRun(cluster, output, Keys, operationsBetweenSteps: 500, seed: random.Seed);
        await run.StartAsync();

        Task<KvsResponse> change = cluster.Clients[1].ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3, 4));
        await run.WaitForFillAsync(change);
        await run.KillAndWaitForExclusionAsync(2, [0, 1, 2, 3], [0, 1, 2, 3, 4]);

        KvsResponse changed = await change;
        Assert.True(changed.Status == System.Net.HttpStatusCode.OK, changed.ToString());
        output.WriteLine($"view change answered: {changed}");
        await run.WaitForReplicationAsync(expectedNodes: 4);

        long dropped = Enumerable.Range(0, hosts).Sum(network.DroppedPackets);
        output.WriteLine($"the nodes dropped {dropped} packets from each other");
        Assert.True(dropped > 0, "the network lost nothing: the test did not test what it says");
        long delayed = network.DelayedBytes();
        output.WriteLine($"the slow links carried {delayed} bytes");
        Assert.True(delayed > 0, "no peer traffic went through the slow links: the test did not test what it says");

        await run.FinishAsync(expectedNodes: 4);
    }
}
