using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Membership;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// The learner's door for fill batches, whatever carried them: a batch is applied only for the fill
/// this node runs. A batch of a fill it has not learned of yet would be dropped as a leftover when it
/// adopts that fill, or race the cleanup of an older switch, so it catches up and the source sends
/// again; a batch of a replaced fill is refused. The sender is authenticated by its transport alone:
/// it is a member of a configuration, which the round-one view may not know.
/// </summary>
public sealed class FillReceiver(FillTarget target, ClusterState state, NewerEpochSignal newerEpoch, IOptions<NodeOptions> options)
{
    private readonly bool _replicated = options.Value.IsReplicated;

    /// <param name="parent">The source's batch span, when the batch carried it.</param>
    public FillAnswer Receive(long fillEpoch, ReadOnlyMemory<byte> batch, ActivityContext parent = default)
    {
        // A node with one copy per key runs no configuration log and no fills of its own: it has no fill
        // to check a batch against, and applies what a signed sender copies to it.
        long running = state.Snapshot.Replica is { Config.IsFilling: true } replica ? replica.Config.FillEpoch : 0;
        if (_replicated && fillEpoch > running)
        {
            newerEpoch.CatchUp();
            return new FillAnswer(FillAnswerKind.NotYetLearned, Error: "This node has not learned of the fill yet; send the batch again");
        }

        if (_replicated && fillEpoch < running)
        {
            return new FillAnswer(FillAnswerKind.Superseded, Error: string.Create(CultureInfo.InvariantCulture, $"The fill of epoch {fillEpoch} was replaced by the fill of epoch {running}"));
        }

        FillApplyResult result = target.Apply(batch, parent);
        return result.Malformed is { } error
            ? new FillAnswer(FillAnswerKind.Rejected, Error: $"Malformed fill batch: {error}")
            : new FillAnswer(FillAnswerKind.Applied, result.Applied, result.Skipped);
    }
}
