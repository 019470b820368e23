using System.Collections.Concurrent;
using System.Net;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.ViewChange.Migration;

namespace ShardedKvs.Tests.Cluster.ViewChange.Migration;

/// <summary>A peer that a <see cref="KeySource"/> hands batches to, answering as the test scripts it.
/// It records what it was sent and acknowledges everything unless told otherwise.</summary>
public sealed class FakeBatchTransport : IBatchTransport
{
    public ConcurrentQueue<MigrationBatch> Sent { get; } = new();

    public ConcurrentQueue<MigrationBatch> Discarded { get; } = new();

    /// <summary>How the target answers each send; acknowledges by default.</summary>
    public Func<MigrationBatch, PeerCallResult> Answer { get; set; } = batch => Ok(batch);

    /// <summary>When set, answers sends in its own time (a target that stores a batch and then hangs, say).</summary>
    public Func<MigrationBatch, CancellationToken, Task<PeerCallResult>>? AnswerAsync { get; set; }

    public static PeerCallResult Ok(MigrationBatch batch) => PeerCallResult.Answered("target", HttpStatusCode.OK, null);

    public Task<PeerCallResult> SendAsync(string target, MigrationBatch batch, CancellationToken cancellationToken)
    {
        Sent.Enqueue(batch);
        return AnswerAsync is { } answer ? answer(batch, cancellationToken) : Task.FromResult(Answer(batch));
    }

    public Task<PeerCallResult> DiscardAsync(string target, MigrationBatch batch, CancellationToken cancellationToken)
    {
        Discarded.Enqueue(batch);
        return Task.FromResult(PeerCallResult.Answered(target, HttpStatusCode.OK, null));
    }
}
