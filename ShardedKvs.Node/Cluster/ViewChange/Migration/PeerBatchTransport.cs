using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Node.Cluster.ViewChange.Migration;

/// <summary>Batches travel as signed internal calls through the <see cref="PeerClient"/>.</summary>
public sealed class PeerBatchTransport(PeerClient peers) : IBatchTransport
{
    public Task<PeerCallResult> SendAsync(string target, MigrationBatch batch, CancellationToken cancellationToken) =>
        peers.CallAsync(target, PeerRoutes.MigrationBatch, batch, cancellationToken);

    public Task<PeerCallResult> DiscardAsync(string target, MigrationBatch batch, CancellationToken cancellationToken) =>
        peers.CallAsync(target, PeerRoutes.MigrationDiscard, batch with { Entries = batch.Entries.Select(e => e with { Value = "" }).ToArray() }, cancellationToken);
}
