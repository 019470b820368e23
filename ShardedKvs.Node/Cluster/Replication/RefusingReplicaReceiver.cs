using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// PLACEHOLDER, replaced by the real replica receiver when replication is wired in (docs/replication.md,
/// section 5 step 4). Until then this node holds no replicas and grants no leases: every replicated
/// write is refused as <see cref="ReplicaAckKind.NotReplica"/> and every heartbeat is answered "not
/// granted", both at epoch 0. It exists so the lane server, which needs a receiver, can start.
/// </summary>
internal sealed class RefusingReplicaReceiver : IReplicaReceiver
{
    public ReplicaAck Apply(string sender, long epoch, long version, KeyOperation operation, string key, ReadOnlySpan<byte> value, long watermark) =>
        new(ReplicaAckKind.NotReplica, ReplicaEpoch: 0);

    public LeaseAnswer OnHeartbeat(string sender, long epoch, long watermark) => new(Granted: false, PeerEpoch: 0);
}
