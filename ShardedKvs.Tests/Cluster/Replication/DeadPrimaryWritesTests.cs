using Microsoft.Extensions.DependencyInjection;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// A primary that dies in the middle of a write may have reached one replica of the key and not the
/// others, and its client never heard how the write ended. Seen in <c>PartitionedPrimaryTests</c>: a
/// delete the cut-off primary got to one replica only left the key on two nodes of three, and a put
/// left a deleted key on one. The key's next primary gathers such writes from every live member before
/// it serves the key, so all copies end the same: here the write reaches only the replica that does
/// <i>not</i> take over, the one whose copy nobody else would otherwise learn of.
/// </summary>
public sealed class DeadPrimaryWritesTests(ITestOutputHelper output)
{
    private const int Keys = 60;

    [Fact]
    public async Task A_write_of_a_dead_primary_that_reached_one_replica_only_ends_on_every_copy_or_on_none()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 4, settings: new Dictionary<string, string?> { ["Kvs:ReplicationFactor"] = "3" });
        for (int i = 0; i < Keys; i++)
        {
            await cluster[i % 4].Client.PutAsync($"key-{i}", "before");
        }

        TestNode dying = cluster[3];
        ReplicaState replica = dying.Snapshot.Replica!;
        var ring = new TokenRing([.. cluster.Nodes.Select(n => n.Address)], replicationFactor: 3);
        string[] ledByDying = [.. Enumerable.Range(0, Keys).Select(i => $"key-{i}").Where(k => ring.ReplicasOf(k)[0] == dying.Address)];
        Assert.True(ledByDying.Length >= 2, $"node 3 leads {ledByDying.Length} of {Keys} keys");
        (string put, string deleted) = (ledByDying[0], ledByDying[1]);

        // Newer than anything the dying primary wrote, and never settled by its watermark.
        long version = (replica.Epoch << 40) | 1_000_000;
        Assert.True(ApplyOnLastReplica(cluster, ring, dying, put, KeyOperation.Put, "after", version).Holds);
        Assert.True(ApplyOnLastReplica(cluster, ring, dying, deleted, KeyOperation.Delete, "", version + 1).Holds);

        await dying.StopAsync();
        TestNode[] survivors = [cluster[0], cluster[1], cluster[2]];
        await Eventually.WaitUntilAsync(
            () => Task.FromResult(survivors.All(n => n.Snapshot.Replica is { Config.IsFilling: false } r && !r.Config.Placement.Any(m => m.Address == dying.Address)
                && !n.Services.GetRequiredService<Promotions>().IsTakingOver)),
            TimeSpan.FromSeconds(60),
            "the survivors to exclude the dead primary, take its keys over and re-replicate them");

        string Holdings(string key) => string.Join(", ", survivors.Select(n =>
            n.Store.TryGet(key, out ReadOnlyMemory<byte> value, out long held) ? $"{n.Address}: {System.Text.Encoding.UTF8.GetString(value.Span)}@{held}" : $"{n.Address}: none"));
        output.WriteLine($"{put}: {Holdings(put)}");
        output.WriteLine($"{deleted}: {Holdings(deleted)}");
        Assert.All(survivors, n => Assert.True(n.Store.TryGet(put, out ReadOnlyMemory<byte> value) && value.Span.SequenceEqual("after"u8), Holdings(put)));
        Assert.All(survivors, n => Assert.False(n.Store.Contains(deleted), Holdings(deleted)));
        Assert.Equal("after", (await survivors[0].Client.GetKeyAsync(put)).Body["value"]!.GetValue<string>());
    }

    /// <summary>Applies a write of <paramref name="primary"/> on the third replica of the key only, as
    /// a write its primary died in the middle of.</summary>
    private static ReplicaAck ApplyOnLastReplica(TestCluster cluster, TokenRing ring, TestNode primary, string key, KeyOperation operation, string value, long version)
    {
        TestNode last = cluster.Nodes.Single(n => n.Address == ring.ReplicasOf(key)[2]);
        return last.Services.GetRequiredService<IReplicaReceiver>()
            .Apply(primary.Address, primary.Snapshot.Replica!.Epoch, version, operation, key, System.Text.Encoding.UTF8.GetBytes(value), watermark: 0);
    }
}
