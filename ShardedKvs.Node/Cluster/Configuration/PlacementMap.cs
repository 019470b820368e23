using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.Configuration;

/// <summary>
/// What one configuration means for one key: its primary, its in-sync replicas, and the learners that
/// must receive its writes while a fill runs. Built once per configuration (immutable, shared by every
/// request); lookups allocate nothing.
/// </summary>
public sealed class PlacementMap
{
    private readonly PlacedMember[] _placed;
    private readonly PlacedMember[]? _targets;

    public PlacementMap(ClusterConfig config, int tokensPerNode)
    {
        Config = config;
        _placed = [.. config.Placement];
        Placement = new ReplicaPlacement(
            [.. _placed.Select(p => p.Address)],
            tokensPerNode,
            config.ReplicationFactor,
            _placed.Where(p => !config.IsInSync(p)).Select(p => p.Address));
        if (config.IsFilling && !config.Target.IsEmpty)
        {
            _targets = [.. config.Target];
            TargetRing = new TokenRing([.. _targets.Select(t => t.Address)], tokensPerNode, config.ReplicationFactor);
        }
    }

    public ClusterConfig Config { get; }

    /// <summary>The ring of the placement, with the in-sync replicas marked.</summary>
    public ReplicaPlacement Placement { get; }

    /// <summary>The ring of the target while a fill runs; null otherwise.</summary>
    public TokenRing? TargetRing { get; }

    /// <summary>The key's primary, or null when no in-sync replica of it is left.</summary>
    public PlacedMember? PrimaryOf(ulong keyHash) =>
        Placement.PrimaryIndexOfHash(keyHash) is int i and >= 0 ? _placed[i] : null;

    public int InSyncCountOf(ulong keyHash) => Placement.InSyncCountOfHash(keyHash);

    /// <summary>
    /// Everyone who must hold the key's writes: its in-sync replicas (primary first, in ring order),
    /// then its learners (replicas in the target that are not in sync). Returns how many were written.
    /// </summary>
    public int WriteSetOf(ulong keyHash, Span<PlacedMember> destination)
    {
        int count = 0;
        foreach (int replica in Placement.Ring.ReplicaIndicesOfHash(keyHash))
        {
            if (Placement.IsInSync(replica))
            {
                destination[count++] = _placed[replica];
            }
        }

        int inSync = count;
        if (TargetRing is not null)
        {
            foreach (int replica in TargetRing.ReplicaIndicesOfHash(keyHash))
            {
                PlacedMember target = _targets![replica];
                if (destination[..inSync].IndexOf(target) < 0)
                {
                    destination[count++] = target;
                }
            }
        }

        return count;
    }

    /// <summary>The largest write set a key can have: R in-sync replicas and R learners.</summary>
    public int MaxWriteSet => 2 * Config.ReplicationFactor;

    /// <summary>Whether <paramref name="member"/> is an in-sync replica of the key: its store holds every
    /// acknowledged write of it.</summary>
    public bool IsInSyncReplica(PlacedMember member, ulong keyHash)
    {
        foreach (int replica in Placement.Ring.ReplicaIndicesOfHash(keyHash))
        {
            if (Placement.IsInSync(replica) && _placed[replica] == member)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="member"/> must hold a copy of the key under this configuration
    /// (as an in-sync replica or as a learner).</summary>
    public bool HoldsCopy(PlacedMember member, ulong keyHash)
    {
        if (IsInSyncReplica(member, keyHash))
        {
            return true;
        }

        if (TargetRing is not null)
        {
            foreach (int replica in TargetRing.ReplicaIndicesOfHash(keyHash))
            {
                if (_targets![replica] == member)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
