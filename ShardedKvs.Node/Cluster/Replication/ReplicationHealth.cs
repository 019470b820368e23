namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// How well this node sees the cluster's keys replicated under one decided configuration, range by
/// range (a range is the stretch of the placement's ring up to one token: every key in it has the same
/// replicas). Pure, computed from the immutable <see cref="ReplicaState"/> without locks; the
/// replication gauges report it.
/// </summary>
/// <param name="UnderReplicatedRanges">Ranges with fewer in-sync replicas than the replication factor
/// the view allows (min(R, members of the view)): after an exclusion, the dead node's ranges until the
/// fill switches in their new replicas.</param>
/// <param name="MinInSyncOfOwnRanges">The fewest in-sync replicas (this node included) among the ranges
/// this node is primary for; null when it is primary for none.</param>
public readonly record struct ReplicationHealth(int UnderReplicatedRanges, int? MinInSyncOfOwnRanges)
{
    public static ReplicationHealth Of(ReplicaState replica)
    {
        int wanted = Math.Min(replica.Config.ReplicationFactor, replica.Config.View.Length);
        int under = 0;
        int? minOwn = null;
        foreach (ulong token in replica.Map.Placement.Ring.Tokens)
        {
            // A key hashing to the token itself lies in the range that ends there.
            int inSync = replica.Map.InSyncCountOf(token);
            if (inSync < wanted)
            {
                under++;
            }

            if (replica.Map.PrimaryOf(token) == replica.Self)
            {
                minOwn = Math.Min(minOwn ?? int.MaxValue, inSync);
            }
        }

        return new ReplicationHealth(under, minOwn);
    }
}
