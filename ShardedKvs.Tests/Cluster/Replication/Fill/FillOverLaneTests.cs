using System.Text;
using Microsoft.Extensions.DependencyInjection;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Security;
using ShardedKvs.Node.Storage;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>The fill between two real nodes over their signed lanes: batches arrive in the learner's
/// store, and only signed, well-formed batches change anything.</summary>
public sealed class FillOverLaneTests(TwoNodes nodes) : IClassFixture<TwoNodes>
{
    private KeyValueStore SourceStore => nodes.Cluster[0].Store;

    private KeyValueStore LearnerStore => nodes.Cluster[1].Store;

    private static string[] KeysFor(string test, int count) => [.. Enumerable.Range(0, count).Select(i => $"{test}-{i}")];

    private static byte[] Batch(params (string Key, long Version, string Value)[] entries)
    {
        var writer = new FillBatchWriter(1000, 1 << 20);
        foreach ((string key, long version, string value) in entries)
        {
            Assert.True(writer.TryAdd(key, version, Encoding.UTF8.GetBytes(value)));
        }

        return writer.Build().Body.ToArray();
    }

    private Task<RawLane> OpenLaneAsync(string sender, string clusterKey = TestCluster.ClusterKey) =>
        RawLane.OpenAsync(nodes.Cluster[1], sender, clusterKey);

    private static async Task<FillAnswer> SendAsync(RawLane lane, byte[] batch)
    {
        uint id = await lane.SendFillAsync(batch);
        (uint Id, FillAnswer Answer)? answer = await lane.ReadFillAnswerAsync();
        Assert.True(answer is not null, "the learner closed the lane instead of answering");
        Assert.Equal(id, answer.Value.Id);
        return answer.Value.Answer;
    }

    [Fact]
    public async Task A_copy_reaches_the_learners_store_with_its_versions()
    {
        string[] keys = KeysFor("copied", 2_500);
        foreach ((string key, int i) in keys.Select((k, i) => (k, i)))
        {
            SourceStore.PutIfNewer(key, Encoding.UTF8.GetBytes($"value-{i}"), 100 + i);
        }

        FillResult result = await nodes.Cluster[0].Services.GetRequiredService<FillSource>()
            .CopyAsync(nodes.Map, nodes.SourceMember, CancellationToken.None);

        Assert.True(result.Succeeded, result.Failure);
        Assert.True(result.Batches >= 3, $"{result.Batches} batches");
        foreach ((string key, int i) in keys.Select((k, i) => (k, i)))
        {
            Assert.True(LearnerStore.TryGet(key, out ReadOnlyMemory<byte> value, out long version), $"{key} did not reach the learner");
            Assert.Equal($"value-{i}", Encoding.UTF8.GetString(value.Span));
            Assert.Equal(100 + i, version);
        }
    }

    [Fact]
    public async Task A_learner_that_is_down_fails_the_copy_with_its_name()
    {
        SourceStore.PutIfNewer("to-nowhere", "v"u8, 1);
        var nowhere = new PlacedMember($"127.0.0.1:{FreePorts.Take(1)[0]}", 1);

        FillResult result = await nodes.Cluster[0].Services.GetRequiredService<FillSource>()
            .CopyAsync(FillKit.OneSourceOneLearner(nodes.SourceMember, nowhere), nodes.SourceMember, CancellationToken.None);

        Assert.Equal(nowhere, result.FailedLearner);
        Assert.Contains("connection refused", result.Failure);
    }

    [Fact]
    public async Task A_batch_sent_twice_is_applied_once()
    {
        await using RawLane lane = await OpenLaneAsync(nodes.Cluster[0].Address);
        byte[] batch = Batch(("twice-a", 5, "v"), ("twice-b", 6, "w"));

        FillAnswer first = await SendAsync(lane, batch);
        FillAnswer second = await SendAsync(lane, batch);

        Assert.Equal((FillAnswerKind.Applied, 2, 0), (first.Kind, first.Applied, first.Skipped));
        Assert.Equal((FillAnswerKind.Applied, 0, 2), (second.Kind, second.Applied, second.Skipped));
    }

    [Fact]
    public async Task A_batch_signed_with_another_key_closes_the_lane_and_changes_nothing()
    {
        await using RawLane lane = await OpenLaneAsync(nodes.Cluster[0].Address);
        using var stranger = new LaneMac(new ClusterKeys("wrong-cluster-key-0123456789").DeriveLaneKey(0, "not this lane"));

        await lane.SendFillAsync(Batch(("forged", 5, "planted")), mac: stranger);

        Assert.Null(await lane.ReadFillAnswerAsync());
        Assert.False(LearnerStore.Contains("forged"));
    }

    [Fact]
    public async Task A_malformed_batch_is_refused_changes_nothing_and_the_lane_goes_on()
    {
        await using RawLane lane = await OpenLaneAsync(nodes.Cluster[0].Address);
        byte[] good = Batch(("malformed-first", 5, "planted"), ("malformed-second", 5, "planted"));

        foreach (byte[] batch in new[] { good[..^1], [.. good, 0], [], [9, 0, 0, 0, 0] })
        {
            FillAnswer answer = await SendAsync(lane, batch);

            Assert.Equal(FillAnswerKind.Rejected, answer.Kind);
            Assert.StartsWith("Malformed fill batch: ", answer.Error);
        }

        Assert.False(LearnerStore.Contains("malformed-first"));
        Assert.False(LearnerStore.Contains("malformed-second"));
        Assert.Equal(FillAnswerKind.Applied, (await SendAsync(lane, Batch(("after-malformed", 5, "v")))).Kind);
    }
}
