using System.Net;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.ViewChange;

/// <summary>
/// Seen in a fresh-clone CI run of <c>LossyNetworkTests</c>: the coordinator's question to the node a
/// view change adds was lost (a dropped SYN and SYN-ACK outlast the connect timeout), and the change
/// was refused at once, "unreachable; nothing was changed". One lost call must not refuse it.
/// </summary>
public sealed class LostProbeTests
{
    [Fact]
    public async Task A_view_change_whose_first_question_to_the_node_it_adds_is_lost_still_goes_through()
    {
        var faults = new PeerFaults();
        await using TestCluster cluster = await TestCluster.StartAsync(
            nodes: 4,
            initialViewSize: 3,
            settings: new Dictionary<string, string?> { ["Kvs:ReplicationFactor"] = "3" },
            configure: (_, builder) => faults.InstallOn(builder));
        string added = cluster[3].Address;
        int lost = 0;
        faults.DropRequest = request =>
            PeerFaults.Is(request, PeerRoutes.View) && request.RequestUri?.Authority == added && Interlocked.Exchange(ref lost, 1) == 0;

        KvsResponse change = await cluster[1].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3));

        Assert.Equal(1, lost);
        Assert.True(change.Status == HttpStatusCode.OK, change.ToString());
        Assert.Equal(4, change.Body["shards"]!.AsArray().Count);
    }
}
