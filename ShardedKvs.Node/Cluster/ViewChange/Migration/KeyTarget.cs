using System.Text;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.ViewChange.Migration;

/// <summary>
/// The target side of a view change: stores the batches sources hand over. Its acknowledgement means
/// the keys are in the store. A batch id is applied once, so a re-sent batch, or one that arrives
/// after its source gave up on it, never overwrites newer writes.
/// </summary>
/// <remarks>
/// Concurrency: <c>_batchGate</c> guards <c>_seen</c> and orders a batch's store against its discard
/// and against <see cref="ForgetBefore"/>. Lock order: <c>_batchGate</c> first, then a key's stripe
/// of <see cref="KeysInFlight"/>; never the other way round (a request holds a stripe and never
/// waits for a batch). Batches are rare next to key requests, so one gate is enough.
/// </remarks>
public sealed class KeyTarget(ClusterState state, KeyValueStore store, KeysInFlight inFlight)
{
    private readonly Lock _batchGate = new();
    private readonly Dictionary<(string Source, long Epoch, long BatchId), BatchFate> _seen = [];

    /// <returns>null when stored (or already stored); otherwise why the batch was refused.</returns>
    public string? Accept(MigrationBatch batch)
    {
        ClusterSnapshot snapshot = state.Snapshot;
        if (snapshot.Pending is not { } pending || pending.Epoch != batch.Epoch)
        {
            return $"Not preparing epoch {batch.Epoch} (at {snapshot.LatestEpoch})";
        }

        foreach (MigrationEntry entry in batch.Entries)
        {
            if (pending.Ring.OwnerIndexOfHash(StableHash.Of(entry.Key)) != snapshot.PendingSelfIndex)
            {
                return $"Key '{entry.Key}' does not belong to {snapshot.Self} in epoch {batch.Epoch}";
            }
        }

        lock (_batchGate)
        {
            if (!_seen.TryAdd((batch.Source, batch.Epoch, batch.BatchId), BatchFate.Stored))
            {
                return null;
            }

            foreach (MigrationEntry entry in batch.Entries)
            {
                byte[] value = Encoding.UTF8.GetBytes(entry.Value);
                lock (inFlight.StripeFor(StableHash.Of(entry.Key)))
                {
                    store.Put(entry.Key, value);
                }
            }
        }

        return null;
    }

    /// <summary>Drops a batch whose source never saw our acknowledgement. The source still holds
    /// those keys and serves them, so nothing here may shadow them.</summary>
    public void Discard(MigrationBatch batch)
    {
        var id = (batch.Source, batch.Epoch, batch.BatchId);
        lock (_batchGate)
        {
            bool wasStored = _seen.TryGetValue(id, out BatchFate fate) && fate == BatchFate.Stored;
            _seen[id] = BatchFate.Discarded;
            if (!wasStored)
            {
                return;
            }

            foreach (MigrationEntry entry in batch.Entries)
            {
                lock (inFlight.StripeFor(StableHash.Of(entry.Key)))
                {
                    store.Remove(entry.Key);
                }
            }
        }
    }

    /// <summary>Forgets batches of views that are no longer pending.</summary>
    public void ForgetBefore(long epoch)
    {
        lock (_batchGate)
        {
            foreach (var id in _seen.Keys.Where(id => id.Epoch < epoch).ToList())
            {
                _seen.Remove(id);
            }
        }
    }

    private enum BatchFate
    {
        Stored,
        Discarded,
    }
}
