using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Storage;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// What this node holds, counted the course's way: the keys it is primary for (so the counts over the
/// view still sum to the number of keys), and the copies it keeps as a replica or learner. One walk
/// over the store; a key written during the walk may be counted or not.
/// </summary>
public static class ReplicaKeyCounts
{
    /// <summary>Counts on a thread of its own (<see cref="StoreWalk"/>), so that counting holds no
    /// thread-pool worker the node's requests need. A node that runs one copy per key counts without a walk.</summary>
    public static Task<(int Primary, int Replica)> CountAsync(ClusterSnapshot snapshot, KeyValueStore store) =>
        snapshot.Replica is { } replica ? StoreWalk.RunAsync(() => Count(replica, store)) : Task.FromResult((store.Count, 0));

    private static (int Primary, int Replica) Count(ReplicaState replica, KeyValueStore store)
    {
        int primary = 0, copies = 0;
        foreach (StoredEntry entry in store.Entries)
        {
            if (replica.Map.PrimaryOf(StableHash.Of(entry.KeyUtf8)) == replica.Self)
            {
                primary++;
            }
            else
            {
                copies++;
            }
        }

        return (primary, copies);
    }
}
