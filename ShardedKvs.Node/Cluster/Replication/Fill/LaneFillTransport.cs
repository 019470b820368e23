using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// Batches travel on the lanes (<see cref="ReplicationCalls.FillAsync"/>), beside the replicated writes
/// the learner already receives from this node, so a fill runs code every replicated node has
/// compiled and warmed rather than an HTTP client and server path of its own. Learners are reached at
/// the addresses a decided configuration names, which the round-one view may not know; the lane's
/// signature authenticates this node.
/// </summary>
public sealed class LaneFillTransport(ReplicationCalls calls, IOptions<NodeOptions> options) : IFillTransport
{
    private readonly TimeSpan _timeout = options.Value.ControlTimeout;

    public Task<FillAnswer> SendAsync(PlacedMember learner, long fillEpoch, FillBatch batch, CancellationToken cancellationToken) =>
        calls.FillAsync(learner.Address, fillEpoch, batch.Body, _timeout, cancellationToken);
}
