using System.Net;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster;

/// <summary>
/// A real network partition: each node in its own network namespace, one node cut off from the
/// others by blackhole routes. Nobody may get a wrong answer, and a view change must be refused.
/// </summary>
[Collection(NetworkNamespaceCollection.Name)]
public sealed class PartitionTests(ITestOutputHelper output)
{
    private const int Keys = 60;
    private const int Port = 5080;

    private static readonly Dictionary<string, string> FastFailure = RoundOne.Environment(new Dictionary<string, string>
    {
        ["Kvs__ForwardTimeout"] = "00:00:01",
        ["Kvs__ControlTimeout"] = "00:00:01",
    });

    [NetworkNamespaceFact]
    public async Task A_node_cut_off_from_the_others_causes_503s_and_refused_view_changes_never_wrong_answers()
    {
        using var network = new NetworkNamespaces(hosts: 3);
        for (int host = 0; host < 3; host++)
        {
            // Traffic to a test host must leave through the test's own bridge, nowhere else.
            Assert.Contains($"dev {network.HostInterface}", network.RouteTo(host), StringComparison.Ordinal);
        }

        string[] addresses = Enumerable.Range(0, 3).Select(h => $"{network.AddressOf(h)}:{Port}").ToArray();
        await using ProcessCluster cluster = await ProcessCluster.StartAsync(addresses, initialViewSize: 3, FastFailure, network.NamespaceOf);
        var ring = new TokenRing([.. addresses]);
        for (int i = 0; i < Keys; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await cluster.Clients[0].PutAsync($"key{i}", $"value{i}")).Status);
        }

        network.Cut(2, others: [0, 1]);

        // Every read through every node: the right value, or 503 naming an owner it cannot reach.
        int unavailable = 0;
        for (int node = 0; node < 3; node++)
        {
            for (int i = 0; i < Keys; i++)
            {
                KvsResponse read = await cluster.Clients[node].GetKeyAsync($"key{i}");
                if (read.Status == HttpStatusCode.ServiceUnavailable)
                {
                    unavailable++;
                    Assert.Equal(ring.OwnerOf($"key{i}"), read.Field("address"));
                    Assert.NotEqual(node == 2, ring.OwnerOf($"key{i}") == addresses[2]); // only cross-partition reads fail
                }
                else
                {
                    Assert.Equal(HttpStatusCode.OK, read.Status);
                    Assert.Equal($"value{i}", read.Field("value"));
                }
            }
        }

        // A write to a key owned across the cut is refused, not stored somewhere else.
        string acrossTheCut = Enumerable.Range(0, Keys).Select(i => $"key{i}").First(k => ring.OwnerOf(k) == addresses[2]);
        KvsResponse write = await cluster.Clients[0].PutAsync(acrossTheCut, "during-partition");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, write.Status);
        Assert.Equal(addresses[2], write.Field("address"));

        // A view change cannot prepare the cut-off node: refused, nothing moved, no epoch changed.
        KvsResponse change = await cluster.Clients[0].ChangeViewAsync(string.Join(',', addresses[0], addresses[1]));
        output.WriteLine($"{unavailable} reads answered 503 across the cut; view change: {change}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, change.Status);
        Assert.Equal(addresses[2], change.Field("address"));
        for (int node = 0; node < 3; node++)
        {
            var view = (await cluster.ViewAsync(node))!;
            Assert.Equal(1, view["epoch"]!.GetValue<long>());
            Assert.Null(view["pendingEpoch"]);
        }

        // Healed, the cluster answers everything again, with the values from before the cut.
        network.Heal(2, others: [0, 1]);
        for (int i = 0; i < Keys; i++)
        {
            KvsResponse read = await cluster.Clients[i % 3].GetKeyAsync($"key{i}");
            Assert.Equal($"value{i}", read.Field("value"));
        }
    }
}
