using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Node.Cluster.ViewChange.Migration;

/// <summary>The two calls a <see cref="KeySource"/> makes to a target: the seam where tests put a fake peer.</summary>
public interface IBatchTransport
{
    /// <summary>Asks the target to store the batch (<see cref="KeyTarget.Accept"/>).</summary>
    Task<PeerCallResult> SendAsync(string target, MigrationBatch batch, CancellationToken cancellationToken);

    /// <summary>Asks the target to drop the batch if it stored it (<see cref="KeyTarget.Discard"/>).</summary>
    Task<PeerCallResult> DiscardAsync(string target, MigrationBatch batch, CancellationToken cancellationToken);
}
