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
    /// <summary><see cref="Count"/> on a thread of its own (<see cref="StoreWalk"/>), so that counting
    /// holds no thread-pool worker the node's requests need.</summary>
    public static Task<(int Primary, int Replica)> CountAsync(ClusterSnapshot snapshot, KeyValueStore store) =>
        snapshot.Replica is null ? Task.FromResult((store.Count, 0)) : StoreWalk.RunAsync(() => Count(snapshot, store));

    public static (int Primary, int Replica) Count(ClusterSnapshot snapshot, KeyValueStore store)
    {
        if (snapshot.Replica is not { } replica)
        {
            return (store.Count, 0);
        }

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
