using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// The replica's side of replication, called by the lane server for every replication frame it reads
/// from a peer (the sender is the lane's authenticated peer address). Both calls run on the lane's read
/// loop: they do in-memory work only and never block.
/// </summary>
public interface IReplicaReceiver
{
    /// <summary>Applies one write of a key's primary: a <see cref="KeyOperation.Put"/> with its value, or a
    /// <see cref="KeyOperation.Delete"/> (empty value), at <paramref name="version"/>.</summary>
    /// <param name="epoch">The configuration epoch the primary sent it under.</param>
    /// <param name="watermark">Every write of this primary at or below it has been acknowledged to its client.</param>
    ReplicaAck Apply(string sender, long epoch, long version, KeyOperation operation, string key, ReadOnlySpan<byte> value, long watermark);

    /// <summary>A peer's heartbeat at <paramref name="epoch"/>: answered with a read lease when both are
    /// at the same epoch.</summary>
    LeaseAnswer OnHeartbeat(string sender, long epoch, long watermark);
}
