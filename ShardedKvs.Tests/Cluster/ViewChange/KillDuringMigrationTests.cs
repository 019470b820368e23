using System.Collections.Immutable;
using System.Net;
using System.Text.Json.Nodes;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.ViewChange;

/// <summary>
/// A node killed with SIGKILL in the middle of a view change: the change fails with a clear error in
/// bounded time, the survivors agree on one epoch, re-issuing the change without the dead node
/// finishes it, and the only keys lost are ones the dead node owned ("collateral loss" 0).
/// Nodes are real processes; a failpoint slows each migration batch so the kill lands mid-migration.
/// </summary>
public sealed class KillDuringMigrationTests(ITestOutputHelper output)
{
    private const int Keys = 300;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, string> SlowMigration = RoundOne.Environment(new Dictionary<string, string>
    {
        ["Kvs__MigrationBatchSize"] = "5",
        ["Kvs__MigrationBatchDelay"] = "00:00:00.300",
    });

    [Fact]
    public async Task Killing_a_source_mid_migration()
    {
        await RunAsync(victim: 1, coordinator: 0, reissueThrough: 0, reissueView: [0, 2, 3], ownedByVictim: (c, p, v) => c == v);
    }

    [Fact]
    public async Task Killing_the_target_mid_migration()
    {
        await RunAsync(victim: 3, coordinator: 0, reissueThrough: 0, reissueView: [0, 1, 2], ownedByVictim: (c, p, v) => p == v);
    }

    [Fact]
    public async Task Killing_the_coordinator_mid_migration()
    {
        await RunAsync(victim: 0, coordinator: 0, reissueThrough: 1, reissueView: [1, 2, 3], ownedByVictim: (c, p, v) => c == v);
    }

    /// <param name="ownedByVictim">Given a key's owner before and after the change, whether it was the
    /// victim's: only such keys may be lost.</param>
    private async Task RunAsync(int victim, int coordinator, int reissueThrough, int[] reissueView, Func<string, string, string, bool> ownedByVictim)
    {
        await using ProcessCluster cluster = await ProcessCluster.StartAsync(nodes: 4, initialViewSize: 3, SlowMigration);
        var values = new Dictionary<string, string>();
        for (int i = 0; i < Keys; i++)
        {
            values[$"key{i}"] = $"value{i}";
            Assert.Equal(HttpStatusCode.Created, (await cluster.Clients[i % 3].PutAsync($"key{i}", $"value{i}")).Status);
        }

        var before = new TokenRing([.. cluster.Addresses.Take(3)]);
        var after = new TokenRing([.. cluster.Addresses]);
        Task<KvsResponse> change = cluster.Clients[coordinator].ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3));
        await Eventually.WaitUntilAsync(async () => await cluster.Clients[3].KeyCountAsync() > 0, TimeSpan.FromSeconds(30), "the first keys to reach the new node");

        cluster.Kill(victim);

        // 1. A clear error within a bounded time (the coordinator's own client just loses its connection).
        if (victim != coordinator)
        {
            KvsResponse failed = await change.WaitAsync(Bounded);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.Status);
            Assert.Equal("Error in PUT", failed.Field("message"));
            output.WriteLine($"first attempt: {failed}");
        }
        else
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => change.WaitAsync(Bounded));
        }

        // 2. The survivors agree on one epoch (and on the change left pending).
        int[] survivors = Enumerable.Range(0, 4).Where(i => i != victim).ToArray();
        JsonObject[] views = await Task.WhenAll(survivors.Select(async i => (await cluster.ViewAsync(i))!));
        Assert.Single(views.Select(v => $"{v["epoch"]}/{v["pendingEpoch"]}").Distinct());

        // 3. Re-issuing without the dead node finishes the change.
        KvsResponse reissued = await cluster.Clients[reissueThrough].ChangeViewAsync(cluster.ViewOf(reissueView)).WaitAsync(Bounded);
        output.WriteLine($"re-issued: {reissued}");
        Assert.Equal(HttpStatusCode.OK, reissued.Status);
        Assert.Contains(cluster.Addresses[victim], reissued.Body["lostNodes"]!.AsArray().Select(n => n!.GetValue<string>()));

        // 4. Collateral loss 0: every key the victim did not own is there, with its value.
        string victimAddress = cluster.Addresses[victim];
        int lost = 0;
        foreach ((string key, string value) in values)
        {
            KvsResponse read = await cluster.Clients[reissueView[0]].GetKeyAsync(key);
            if (read.Status == HttpStatusCode.NotFound)
            {
                lost++;
                Assert.True(ownedByVictim(before.OwnerOf(key), after.OwnerOf(key), victimAddress), $"{key} was lost but did not belong to the killed node");
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, read.Status);
                Assert.Equal(value, read.Field("value"));
            }
        }

        int[] counts = await Task.WhenAll(reissueView.Select(i => cluster.Clients[i].KeyCountAsync()));
        int total = counts.Sum();
        var final = new TokenRing([.. reissueView.Select(i => cluster.Addresses[i])]);
        string perNode = string.Join(", ", reissueView.Select((node, i) =>
            $"node {node} counts {counts[i]}, owns {values.Keys.Count(k => final.OwnerOf(k) == cluster.Addresses[node])} of the keys written"));
        output.WriteLine($"{lost} of {Keys} keys lost, all owned by the killed node; {total} keys on the new view ({perNode})");
        Assert.True(Keys - lost == total, $"{Keys - lost} keys readable but the key counts add up to {total}: a node holds copies it does not own ({perNode})");
    }
}
