using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>After a switch, drops the copies this node is no longer a replica of.</summary>
public sealed class ReplicaCleanup(KeyValueStore store, KeysInFlight inFlight)
{
    /// <summary>Removes every stored key <paramref name="self"/> holds no copy of under
    /// <paramref name="map"/>; returns how many it removed.</summary>
    /// <param name="stillCurrent">Checked under each key's stripe before removing it: once a newer
    /// configuration is adopted the walk stops, since that one may make this node a holder again
    /// (a new fill's copies and writes take the same stripe, so none is removed after it landed).</param>
    public int DropKeysNotHeld(PlacementMap map, PlacedMember self, Func<bool>? stillCurrent = null)
    {
        int dropped = 0;
        foreach (StoredEntry entry in store.Entries)
        {
            ulong hash = StableHash.Of(entry.KeyUtf8);
            if (map.HoldsCopy(self, hash))
            {
                continue;
            }

            // Whether a key is held depends only on the map, never on its value, so whatever a
            // concurrent write stored goes too; the stripe orders the removal after any write to
            // the key that is under way.
            string key = entry.Key;
            lock (inFlight.StripeFor(hash))
            {
                if (stillCurrent?.Invoke() == false)
                {
                    return dropped;
                }

                if (store.Remove(key))
                {
                    dropped++;
                }
            }
        }

        return dropped;
    }

    /// <summary>Before a fill starts here: drops every key <paramref name="self"/> is not an in-sync
    /// replica of under <paramref name="filling"/>. Whatever it holds of the keys it is about to
    /// learn is a leftover (of a view it left, or of a fill that was replaced): the fill copies what
    /// exists, but a leftover of a key deleted since would otherwise survive it and come back.</summary>
    public int DropKeysNotInSync(PlacementMap filling, PlacedMember self)
    {
        int dropped = 0;
        PlacedMember[] writeSet = new PlacedMember[filling.MaxWriteSet];
        foreach (StoredEntry entry in store.Entries)
        {
            ulong hash = StableHash.Of(entry.KeyUtf8);
            int inSync = filling.InSyncCountOf(hash);
            filling.WriteSetOf(hash, writeSet);
            if (Array.IndexOf(writeSet, self, 0, inSync) >= 0)
            {
                continue;
            }

            string key = entry.Key;
            lock (inFlight.StripeFor(hash))
            {
                if (store.Remove(key))
                {
                    dropped++;
                }
            }
        }

        return dropped;
    }
}
