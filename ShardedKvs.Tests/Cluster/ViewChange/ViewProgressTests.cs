using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.ViewChange;

public sealed class ViewProgressTests
{
    [Fact]
    public async Task Get_view_shows_a_change_in_progress_with_keys_moved_and_remaining()
    {
        var faults = new PeerFaults();
        await using TestCluster cluster = await TestCluster.StartAsync(
            nodes: 4,
            initialViewSize: 3,
            settings: RoundOne.Settings(new Dictionary<string, string?> { ["Kvs:MigrationBatchSize"] = "5" }),
            configure: (_, builder) => faults.InstallOn(builder));
        await Parallel.ForAsync(0, 300, async (i, _) => await cluster[0].Client.PutAsync($"key{i}", "v"));
        var next = new TokenRing([.. cluster.Nodes.Select(n => n.Address)]);
        int leavingNode0 = cluster[0].Store.Entries.Count(e => next.OwnerOf(e.Key) != cluster[0].Address);

        // Every source's first batch goes through; the rest wait at a gate, so the change is caught midway.
        var rest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstBatchSent = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        faults.Hold = request => PeerFaults.Is(request, PeerRoutes.MigrationBatch) && !firstBatchSent.TryAdd(PeerFaults.Sender(request) ?? "", true)
            ? rest.Task
            : null;

        Task<KvsResponse> change = cluster[1].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3));
        JsonObject? midway = null;
        try
        {
            await Eventually.WaitUntilAsync(
                async () =>
                {
                    KvsResponse view = await cluster[0].Client.SendAsync(HttpMethod.Get, "/kvs/view");
                    midway = view.Body;
                    return view.Body["keysMoved"]?.GetValue<long>() > 0 && view.Body["keysRemaining"]?.GetValue<long>() > 0;
                },
                TimeSpan.FromSeconds(30),
                "node 0 to report keys moved and keys remaining");
        }
        finally
        {
            rest.TrySetResult();
        }

        Assert.Equal("changing", midway!["state"]!.GetValue<string>());
        Assert.Equal(2, midway["pendingEpoch"]!.GetValue<long>());
        Assert.Equal(cluster.ViewOf(0, 1, 2, 3), midway["pendingView"]!.GetValue<string>());
        Assert.InRange(midway["keysMoved"]!.GetValue<long>() + midway["keysRemaining"]!.GetValue<long>(), 1, leavingNode0);

        Assert.Equal(HttpStatusCode.OK, (await change).Status);
        JsonObject after = (await cluster[0].Client.SendAsync(HttpMethod.Get, "/kvs/view")).Body;
        Assert.Equal("serving", after["state"]!.GetValue<string>());
        Assert.Null(after["keysRemaining"]);
    }
}
