using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>The primary's side of replication frames on the lanes (see <c>Peers/Lanes</c>). Never
/// throws for a peer that is down: the answer says it did not answer.</summary>
public interface IReplicationTransport
{
    ValueTask<ReplicaAck> ReplicateAsync(string target, long epoch, long version, KeyOperation operation, string key, ReadOnlyMemory<byte> value, long watermark, TimeSpan timeout);

    ValueTask<LeaseAnswer> HeartbeatAsync(string target, long epoch, long watermark, TimeSpan timeout);
}
