using System.Net;
using System.Text.Json.Nodes;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// GET /kvs/view while a fill runs: besides the fill's sources and who reported, each source shows the
/// copies it makes ("keysToCopy") and how many its learners acknowledged ("keysCopied"), so an operator
/// (and bench/failover.sh) sees the re-replication start and advance.
/// </summary>
public sealed class FillProgressViewTests
{
    [Fact]
    public async Task Each_source_shows_the_copies_it_makes_and_those_acknowledged()
    {
        const int keys = 60;
        var fillGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestCluster cluster = await HeldFills.StartClusterAsync(fillGate.Task, nodes: 4, initialViewSize: 3);
        for (int i = 0; i < keys; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await cluster[i % 3].Client.PutAsync($"key{i}", $"value{i}")).Status);
        }

        int tokensPerNode = (await cluster[0].Client.SendAsync(HttpMethod.Get, "/kvs/view")).Body["tokensPerNode"]!.GetValue<int>();
        var target = new TokenRing([.. Enumerable.Range(0, 4).Select(i => cluster[i].Address)], tokensPerNode, replicationFactor: 3);
        // Three nodes at R = 3 each hold every key: the added node learns the keys the new ring places on
        // it, each from the key's primary, so the sources' copies add up to that many.
        int learned = Enumerable.Range(0, keys).Count(i => target.ReplicasOf($"key{i}").Contains(cluster[3].Address));

        Task<KvsResponse> change = cluster[0].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3));
        JsonNode[] held = await Eventually.Until(
            $"the sources' views to count the {learned} copies of the fill",
            TimeSpan.FromSeconds(30),
            _ => SourceFillsAsync(cluster),
            fills => fills.Length == 3 && fills.All(f => f["keysToCopy"] is not null) && fills.Sum(f => f["keysToCopy"]!.GetValue<long>()) == learned);
        Assert.All(held, fill => Assert.Equal(0, fill["keysCopied"]!.GetValue<long>()));
        Assert.Null((await cluster[3].Client.SendAsync(HttpMethod.Get, "/kvs/view")).Body["fill"]?["keysToCopy"]);

        fillGate.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await change).Status);
        JsonNode?[] after = await Task.WhenAll(Enumerable.Range(0, 4).Select(async i => (await cluster[i].Client.SendAsync(HttpMethod.Get, "/kvs/view")).Body["fill"]));
        Assert.All(after, Assert.Null);
    }

    private static async Task<JsonNode[]> SourceFillsAsync(TestCluster cluster)
    {
        KvsResponse[] views = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => cluster[i].Client.SendAsync(HttpMethod.Get, "/kvs/view")));
        return [.. views.Select(v => v.Body["fill"]).OfType<JsonNode>()];
    }
}
