using System.Collections.Concurrent;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Storage;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// On a replica: the writes it applied from each primary whose completion it has not yet heard of
/// (their version is above that primary's last watermark). Such a write may or may not have been
/// acknowledged to its client. If the primary dies, the replica that takes its keys over sends the ones
/// it holds to the keys' replicas again before it serves them (see Promotions), so a write a reader may
/// have seen on the new primary never vanishes at the next failover. Each primary's writes are guarded
/// by a lock of their own; finding them takes none.
/// </summary>
public sealed class UncertainWrites
{
    private readonly ConcurrentDictionary<PlacedMember, FromPrimary> _byPrimary = new();

    public void Applied(PlacedMember primary, string key, long version)
    {
        FromPrimary from = For(primary);
        lock (from.Gate)
        {
            if (version <= from.Watermark)
            {
                return; // already settled: nothing uncertain about it
            }

            from.ByVersion.Enqueue(key, version);
            if (!from.Newest.TryGetValue(key, out long known) || version > known)
            {
                from.Newest[key] = version;
            }
        }
    }

    /// <summary>The primary says every write of its up to <paramref name="watermark"/> has completed.</summary>
    public void Settled(PlacedMember primary, long watermark)
    {
        FromPrimary from = For(primary);
        lock (from.Gate)
        {
            if (watermark <= from.Watermark)
            {
                return;
            }

            from.Watermark = watermark;

            while (from.ByVersion.TryPeek(out string? key, out long oldest) && oldest <= watermark)
            {
                from.ByVersion.Dequeue();
                if (from.Newest.TryGetValue(key, out long newest) && newest <= watermark)
                {
                    from.Newest.Remove(key);
                }
            }
        }
    }

    /// <summary>A new primary sent its copy of <paramref name="key"/> to every replica, so the write of
    /// <paramref name="primary"/> it held (at <paramref name="version"/> or older) is settled.</summary>
    public void Reconciled(PlacedMember primary, string key, long version)
    {
        FromPrimary from = For(primary);
        lock (from.Gate)
        {
            if (from.Newest.TryGetValue(key, out long newest) && newest <= version)
            {
                from.Newest.Remove(key);
            }

            if (from.Newest.Count == 0)
            {
                from.ByVersion.Clear(); // a primary that can no longer finish writes sends no watermark to dequeue them
            }
        }
    }

    /// <summary>The keys still uncertain from <paramref name="primary"/>, each with the newest version applied here.</summary>
    public IReadOnlyList<(string Key, long Version)> Of(PlacedMember primary)
    {
        FromPrimary from = For(primary);
        lock (from.Gate)
        {
            return [.. from.Newest.Select(p => (p.Key, p.Value))];
        }
    }

    /// <summary>
    /// Every key this node holds an unsettled write of (from any primary), as <paramref name="store"/>
    /// has it now, for a new primary settling them. Of a key it is an in-sync replica of
    /// (<paramref name="isInSyncReplica"/>, by key hash) the store is the truth: its copy, or, when the
    /// key is absent, a delete at the version of the write it applied last. Of any other key only a
    /// copy that is exactly such a write is told: a learner's store may lack a key it was never sent
    /// yet, and a copy of a key this node no longer replicates is a leftover (seen in
    /// PartitionedPrimaryTests: a learner that had dropped its leftovers told of a key as deleted,
    /// and the new primary deleted an acknowledged value everywhere).
    /// </summary>
    public IReadOnlyList<HeldWrite> AsHeld(KeyValueStore store, Func<ulong, bool> isInSyncReplica)
    {
        var newest = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (PlacedMember primary in _byPrimary.Keys)
        {
            foreach ((string key, long version) in Of(primary))
            {
                if (!newest.TryGetValue(key, out long known) || version > known)
                {
                    newest[key] = version;
                }
            }
        }

        var held = new List<HeldWrite>(newest.Count);
        foreach ((string key, long applied) in newest)
        {
            if (Told(store, key, applied, isInSyncReplica(Ring.StableHash.Of(key))) is { } write)
            {
                held.Add(write);
            }
        }

        return held;
    }

    /// <summary>What <paramref name="store"/> says of <paramref name="key"/>, whose newest unsettled
    /// write applied here is at <paramref name="applied"/> (see <see cref="AsHeld"/>), or null when it
    /// says nothing to trust.</summary>
    public static HeldWrite? Told(KeyValueStore store, string key, long applied, bool inSyncReplica) =>
        store.TryGet(key, out ReadOnlyMemory<byte> value, out long stored)
            ? (inSyncReplica || stored == applied ? new HeldWrite(key, stored, value.ToArray()) : null)
            : (inSyncReplica ? new HeldWrite(key, applied, null) : null);

    /// <summary>Forgets everything: this process emptied its store to start over as a new member, so
    /// none of the writes it held is here any more.</summary>
    public void Clear() => _byPrimary.Clear();

    /// <summary>Every primary this node holds writes of (some may have none uncertain left).</summary>
    public ICollection<PlacedMember> Primaries => _byPrimary.Keys;

    private FromPrimary For(PlacedMember primary) => _byPrimary.GetOrAdd(primary, static _ => new FromPrimary());

    private sealed class FromPrimary
    {
        public Lock Gate { get; } = new();

        /// <summary>Keys by the version applied, oldest first: what a watermark settles.</summary>
        public PriorityQueue<string, long> ByVersion { get; } = new();

        public Dictionary<string, long> Newest { get; } = new(StringComparer.Ordinal);

        public long Watermark { get; set; }
    }
}
