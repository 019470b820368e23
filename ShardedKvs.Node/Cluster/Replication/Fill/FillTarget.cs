using System.Diagnostics;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// The learner's side of a fill: stores the keys a primary copies to it. A copied key is applied only
/// over an older version and only if no delete at least as new was seen during the fill
/// (<see cref="FillTombstones"/>), so a copy that arrives after newer replicated writes never undoes
/// them, and a batch sent twice changes nothing the second time: batches need no ids.
/// </summary>
/// <remarks>
/// Concurrency: each key is applied under its stripe (<see cref="KeysInFlight.StripeFor"/>), the lock
/// the replica's apply path holds while it applies a replicated write or delete and remembers the
/// delete. Lock order: a key's stripe, then the store's segment lock (inside the store).
/// </remarks>
public sealed class FillTarget(KeyValueStore store, KeysInFlight inFlight, FillTombstones tombstones)
{
    /// <summary>Checks the whole batch, then applies it; a malformed batch applies nothing.</summary>
    /// <param name="parent">The source's batch span, when the batch carried it.</param>
    public FillApplyResult Apply(ReadOnlyMemory<byte> body, ActivityContext parent = default)
    {
        if (!FillBatchReader.TryCheck(body.Span, out int count, out string? error))
        {
            return FillApplyResult.Refused(error);
        }

        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.fill.apply", ActivityKind.Server, parent);
        int applied = 0;
        foreach (FillBatchReader.Entry entry in FillBatchReader.EntriesOf(body.Span))
        {
            lock (inFlight.StripeFor(StableHash.Of(entry.KeyUtf8)))
            {
                if (!tombstones.Covers(entry.KeyUtf8, entry.Version)
                    && store.PutIfNewer(entry.KeyUtf8, entry.Value, entry.Version) != PutOutcome.Stale)
                {
                    applied++;
                }
            }
        }

        activity?.SetTag("kvs.keys", count);
        activity?.SetTag("kvs.keys_applied", applied);
        return new FillApplyResult(applied, count - applied, null);
    }
}
