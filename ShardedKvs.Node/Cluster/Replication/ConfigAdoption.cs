using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// Makes every decided configuration this node learns its own: publishes it in the snapshot (so the
/// next request routes by it), then starts what it asks of this node: taking over keys it now leads,
/// its part in a fill, and which members the failure detector watches. The configuration log calls
/// it in epoch order, once per epoch.
/// </summary>
public sealed partial class ConfigAdoption(
    ClusterState state,
    NodeIdentity identity,
    PrimaryVersions versions,
    Promotions promotions,
    FillRunner fills,
    PeerLiveness liveness,
    ILogger<ConfigAdoption> logger) : IConfigObserver
{
    public void OnDecided(ClusterConfig decided)
    {
        if (decided.IsFilling && state.Snapshot.Replica?.Config.FillEpoch != decided.FillEpoch)
        {
            // Before the snapshot names the new fill: until then this node takes none of its
            // writes or copies, so nothing it drops here was acknowledged for it.
            fills.BeforeFill(decided, identity.Self);
        }

        if (!state.AdoptConfig(decided, identity.Self))
        {
            return;
        }

        versions.Adopted(decided.Epoch);
        ReplicaState replica = state.Snapshot.Replica!;
        LogAdopted(logger, decided.Epoch, decided, replica.Status);
        liveness.Watch(replica.IsLive ? decided.Voters : []);
        promotions.OnAdopted(replica);
        fills.OnAdopted(replica);
    }

    [LoggerMessage(EventId = LogEvents.ReplicationAdopted, Level = LogLevel.Information, Message = "Adopted configuration epoch {Epoch} ({Config}); this node is {Status}")]
    private static partial void LogAdopted(ILogger logger, long epoch, ClusterConfig config, NodeStatus status);
}
