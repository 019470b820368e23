namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// Where this node's current (or last) copy stands. A key counts once per learner it goes to.
/// </summary>
/// <param name="FillEpoch">The fill the copy is for (0 before the first).</param>
/// <param name="Running">From the start of the walk that plans the copy to the last acknowledged batch.</param>
/// <param name="KeysTotal">Copies the walk found to make: keys this node is primary for, times their learners.</param>
/// <param name="KeysCopied">Copies the learners acknowledged.</param>
/// <param name="KeysSkipped">Copies not sent because the key was deleted after the walk.</param>
/// <param name="Batches">Batches acknowledged.</param>
public readonly record struct FillProgress(long FillEpoch, bool Running, long KeysTotal, long KeysCopied, long KeysSkipped, long Batches)
{
    public long KeysRemaining => Math.Max(0, KeysTotal - KeysCopied - KeysSkipped);
}
