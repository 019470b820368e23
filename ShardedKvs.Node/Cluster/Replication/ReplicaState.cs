using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Membership;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// What one decided configuration means to this node, as part of its <see cref="ClusterSnapshot"/>:
/// immutable, built once per adopted configuration and read by every request without locks.
/// </summary>
public sealed class ReplicaState(ClusterConfig config, PlacementMap map, PlacedMember self, PlacementMap? previous)
{
    public ClusterConfig Config { get; } = config;

    public PlacementMap Map { get; } = map;

    /// <summary>This process.</summary>
    public PlacedMember Self { get; } = self;

    /// <summary>The placement of the configuration adopted before this one (null for the first): whose
    /// keys this node took over, and from whom.</summary>
    public PlacementMap? Previous { get; } = previous;

    public long Epoch => Config.Epoch;

    public bool IsLive => Config.IsLive(Self);

    public NodeStatus Status
    {
        get
        {
            if (Config.IsLive(Self))
            {
                return NodeStatus.Serving;
            }

            ConfigMember? known = Config.MemberAt(Self.Address);
            if (known is { Excluded: true } && known.Incarnation == Self.Incarnation)
            {
                return NodeStatus.Excluded;
            }

            return Config.View.Contains(Self.Address, StringComparer.OrdinalIgnoreCase) ? NodeStatus.Joining : NodeStatus.Idle;
        }
    }

    /// <summary>The effective replication factor: never more than the members placed.</summary>
    public int EffectiveFactor => Math.Min(Config.ReplicationFactor, Config.Placement.Length);

    /// <summary>In-sync replicas a write needs: <paramref name="minInSync"/> (<see cref="NodeOptions.MinInSync"/>),
    /// never more than the effective factor.</summary>
    public int NeededInSync(int minInSync) => Math.Clamp(minInSync, 1, Math.Max(1, EffectiveFactor));

    /// <summary>Whether every key keeps the in-sync replicas a write needs, however the placed members
    /// that lost their copies fall on the ring: a fill is then not what makes any key writable again.</summary>
    public bool EveryKeyWritable(int minInSync) => EffectiveFactor - Config.LostPlacedMembers >= NeededInSync(minInSync);
}
