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
}
