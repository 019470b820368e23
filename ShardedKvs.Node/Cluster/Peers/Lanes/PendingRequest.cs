using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// One request waiting for its answer on a lane, whatever its kind: what the lane's pending table
/// holds. The concrete <see cref="PendingAnswer{TAnswer}"/> says which answer it waits for. Whoever
/// removes it from the table (the read loop, the deadline sweep or the lane closing) completes it,
/// exactly once.
/// </summary>
public abstract class PendingRequest
{
    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> after which the request is answered as timed out.</summary>
    public long Deadline { get; protected set; }

    /// <summary>A forward's operation (its answer carries a value only for a GET).</summary>
    public KeyOperation Operation { get; protected set; }
}
