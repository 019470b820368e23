using System.Text;
using Microsoft.Extensions.Options;
using ShardedKvs.Node;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Replication.Fill;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>
/// A learner applies a batch only for the fill it runs: a copy of a fill it has not learned of yet
/// would be dropped as a leftover once it adopts that fill, so it catches up and asks for the batch
/// again; a copy of a fill that was replaced is refused. Either way nothing is stored.
/// </summary>
public sealed class FillReceiverTests
{
    private static readonly PlacedMember Source = FillKit.Member(1);
    private static readonly PlacedMember Learner = FillKit.Member(2);

    private readonly FakeLearner _learner = new();
    private readonly CatchUpCountingLog _log = new();
    private readonly ClusterConfig _filling = FillKit.OneSourceOneLearner(Source, Learner).Config;

    private FillReceiver ReceiverRunning(ClusterConfig config, int replicationFactor = 2)
    {
        var state = new ClusterState(Learner.Address, [Source.Address, Learner.Address], FillKit.Tokens);
        state.AdoptConfig(config, Learner);
        return new FillReceiver(_learner.Target, state, new NewerEpochSignal(_log), Options.Create(new NodeOptions { ReplicationFactor = replicationFactor }));
    }

    private static byte[] Batch(string key, long version)
    {
        var writer = new FillBatchWriter(10, 1024);
        Assert.True(writer.TryAdd(key, version, Encoding.UTF8.GetBytes($"value of {key}")));
        return writer.Build().Body.ToArray();
    }

    [Fact]
    public void A_batch_of_the_running_fill_is_applied()
    {
        FillAnswer answer = ReceiverRunning(_filling).Receive(_filling.FillEpoch, Batch("copied", 3));

        Assert.Equal(new FillAnswer(FillAnswerKind.Applied, Applied: 1, Skipped: 0), answer);
        Assert.True(_learner.Store.TryGet("copied", out _, out long version));
        Assert.Equal(3, version);
        Assert.Equal(0, _log.CatchUps);
    }

    [Fact]
    public void A_batch_of_a_fill_not_learned_yet_makes_the_learner_catch_up_and_stores_nothing()
    {
        FillAnswer answer = ReceiverRunning(_filling).Receive(_filling.FillEpoch + 1, Batch("too-early", 3));

        Assert.Equal(FillAnswerKind.NotYetLearned, answer.Kind);
        Assert.True(answer.Retryable, "the source must send the batch again once the learner caught up");
        Assert.False(_learner.Store.Contains("too-early"));
        Assert.Equal(1, _log.CatchUps);
    }

    [Fact]
    public void A_learner_that_runs_no_fill_stores_nothing_and_asks_for_the_batch_again()
    {
        ClusterConfig before = ConfigTransitions.Form([Source, Learner], 2);
        Assert.False(before.IsFilling);

        FillAnswer answer = ReceiverRunning(before).Receive(before.Epoch + 1, Batch("before-the-fill", 3));

        Assert.Equal(FillAnswerKind.NotYetLearned, answer.Kind);
        Assert.True(answer.Retryable, "the source must send the batch again once the learner caught up");
        Assert.False(_learner.Store.Contains("before-the-fill"));
        Assert.Equal(1, _log.CatchUps);
    }

    [Fact]
    public void A_batch_of_a_replaced_fill_is_refused_and_stores_nothing()
    {
        FillAnswer answer = ReceiverRunning(_filling).Receive(_filling.FillEpoch - 1, Batch("stale-copy", 3));

        Assert.Equal(FillAnswerKind.Superseded, answer.Kind);
        Assert.False(answer.Retryable);
        Assert.Contains($"replaced by the fill of epoch {_filling.FillEpoch}", answer.Error);
        Assert.False(_learner.Store.Contains("stale-copy"));
        Assert.Equal(0, _log.CatchUps);
    }

    [Fact]
    public void A_malformed_batch_is_rejected_and_stores_nothing()
    {
        byte[] batch = Batch("cut-short", 3);

        FillAnswer answer = ReceiverRunning(_filling).Receive(_filling.FillEpoch, batch.AsMemory(..^1));

        Assert.Equal(FillAnswerKind.Rejected, answer.Kind);
        Assert.StartsWith("Malformed fill batch: ", answer.Error);
        Assert.False(_learner.Store.Contains("cut-short"));
    }
}
