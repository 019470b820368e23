using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Storage;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// What one source copies in one fill, from one walk of its store: every key it is primary for goes
/// to each of the key's learners (the members of its write set after its in-sync replicas). Keys
/// with a single in-sync copy left come first, since losing their one holder would lose them; then
/// the rest. Only keys are kept (packed, <see cref="FillKeys"/>): values are read again when their batch is sent.
/// </summary>
public sealed class FillPlan
{
    private FillPlan(IReadOnlyList<FillQueue> queues)
    {
        Queues = queues;
        Copies = queues.Sum(q => (long)q.Keys.Count);
    }

    /// <summary>In sending order: every learner's single-copy keys, then every learner's other keys.</summary>
    public IReadOnlyList<FillQueue> Queues { get; }

    /// <summary>Copies to make: a key counts once per learner.</summary>
    public long Copies { get; }

    public static FillPlan Build(IEnumerable<StoredEntry> entries, PlacementMap map, PlacedMember self)
    {
        var singleCopy = new Dictionary<PlacedMember, FillKeys>();
        var others = new Dictionary<PlacedMember, FillKeys>();
        var writeSet = new PlacedMember[map.MaxWriteSet];
        foreach (StoredEntry entry in entries)
        {
            ulong hash = StableHash.Of(entry.KeyUtf8);
            if (map.PrimaryOf(hash) != self)
            {
                continue;
            }

            int members = map.WriteSetOf(hash, writeSet);
            int inSync = map.InSyncCountOf(hash);
            if (members <= inSync)
            {
                continue;
            }

            Dictionary<PlacedMember, FillKeys> phase = inSync == 1 ? singleCopy : others;
            for (int i = inSync; i < members; i++)
            {
                if (!phase.TryGetValue(writeSet[i], out FillKeys? keys))
                {
                    phase[writeSet[i]] = keys = new FillKeys();
                }

                keys.Add(entry.KeyUtf8);
            }
        }

        return new FillPlan([.. QueuesOf(singleCopy, singleCopy: true), .. QueuesOf(others, singleCopy: false)]);
    }

    private static IEnumerable<FillQueue> QueuesOf(Dictionary<PlacedMember, FillKeys> phase, bool singleCopy) =>
        phase.OrderBy(p => p.Key.Address, StringComparer.Ordinal).ThenBy(p => p.Key.Incarnation)
            .Select(p => new FillQueue(p.Key, singleCopy, p.Value));
}
