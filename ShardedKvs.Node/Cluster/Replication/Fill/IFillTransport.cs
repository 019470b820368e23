using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>How a <see cref="FillSource"/> reaches a learner: the seam where tests put fake learners.</summary>
public interface IFillTransport
{
    /// <summary>Asks the learner to apply the batch (<see cref="FillReceiver"/>), a copy for the fill
    /// that began at <paramref name="fillEpoch"/>. Never throws for a learner that is down, slow or
    /// refusing: the answer says which.</summary>
    Task<FillAnswer> SendAsync(PlacedMember learner, long fillEpoch, FillBatch batch, CancellationToken cancellationToken);
}
