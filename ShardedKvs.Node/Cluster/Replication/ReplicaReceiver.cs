using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// The replica's side: applies a primary's writes (a write only replaces an older version, so a resent
/// or late one changes nothing), remembers those not yet settled for reconciliation, and answers
/// heartbeats with read leases. A replica refuses writes from an epoch older than its own, so a deposed
/// primary cannot complete a write once a majority moved on; a newer epoch makes it catch up. A node a
/// view change just moved keys from (or removed) still finishes the writes it began as their primary;
/// an excluded one cannot.
/// </summary>
public sealed partial class ReplicaReceiver(
    ClusterState state,
    KeyValueStore store,
    KeysInFlight inFlight,
    UncertainWrites uncertain,
    LeaseBook leases,
    PeerLiveness liveness,
    FillTombstones tombstones,
    NewerEpochSignal newerEpoch,
    ILogger<ReplicaReceiver> logger) : IReplicaReceiver
{
    public ReplicaAck Apply(string sender, long epoch, long version, KeyOperation operation, string key, ReadOnlySpan<byte> value, long watermark)
    {
        liveness.Heard(sender);
        if (state.Snapshot.Replica is not { } replica)
        {
            newerEpoch.Saw(epoch);
            return new ReplicaAck(ReplicaAckKind.NotReplica);
        }

        if (epoch < replica.Epoch)
        {
            return new ReplicaAck(ReplicaAckKind.StaleEpoch, replica.Epoch);
        }

        ulong hash = StableHash.Of(key);
        ConfigMember? primary = replica.Config.MemberAt(sender);
        if (epoch > replica.Epoch)
        {
            // The primary runs a configuration this node has not learned yet: learn it first (the
            // primary sends the write again), so that nothing this node acknowledges can be dropped
            // by a cleanup of the older configuration it still runs.
            newerEpoch.Saw(epoch);
            return new ReplicaAck(ReplicaAckKind.NotReplica, replica.Epoch);
        }

        if (primary is { Excluded: true } || !replica.IsLive || !replica.Map.HoldsCopy(replica.Self, hash))
        {
            return new ReplicaAck(ReplicaAckKind.NotReplica, replica.Epoch);
        }

        ReplicaAckKind applied;
        lock (inFlight.StripeFor(hash))
        {
            if (state.Snapshot.Replica is { } now && now.Epoch != replica.Epoch)
            {
                // A newer configuration was adopted since the checks above. A fill it starts here
                // passes the stripes' barrier before it reads the key, and this stripe was not held
                // yet, so a write applied now could be missing from the copy its learners get (the
                // primary's write path re-checks its snapshot under the stripe for the same reason).
                // The sender learns the configuration and sends the write to its new write set.
                return new ReplicaAck(ReplicaAckKind.StaleEpoch, now.Epoch);
            }

            if (operation == KeyOperation.Put)
            {
                applied = store.PutIfNewer(key, value, version) == PutOutcome.Stale ? ReplicaAckKind.AlreadyNewer : ReplicaAckKind.Applied;
            }
            else if (store.TryGet(key, out _, out long held) && held >= version)
            {
                applied = ReplicaAckKind.AlreadyNewer;
            }
            else
            {
                store.RemoveIfOlderThan(key, version);
                applied = ReplicaAckKind.Applied;
                if (replica.Config.IsFilling)
                {
                    // A learner may still be sent an older copy of the key by the fill: it must not
                    // bring the key back.
                    tombstones.Remember(key, version);
                }
            }
        }

        if (primary is null)
        {
            // A node the configuration no longer names finishing a write it began as primary.
            LogAppliedFromFormerMember(logger, key, version, sender, replica.Epoch, applied);
        }

        PlacedMember from = primary?.Placed ?? new PlacedMember(sender, 0);
        uncertain.Applied(from, key, version);
        uncertain.Settled(from, watermark);
        return new ReplicaAck(applied, replica.Epoch);
    }

    public LeaseAnswer OnHeartbeat(string sender, long epoch, long watermark)
    {
        liveness.Heard(sender);
        if (state.Snapshot.Replica is not { } replica)
        {
            newerEpoch.Saw(epoch);
            return new LeaseAnswer(false, 0);
        }

        if (epoch > replica.Epoch)
        {
            newerEpoch.Saw(epoch);
        }

        ConfigMember? member = replica.Config.MemberAt(sender);
        if (member is { Excluded: false })
        {
            // An excluded primary gave up the writes it had under way: its watermark passes them,
            // but they were never settled, and the key's next primary reconciles them.
            uncertain.Settled(member.Placed, watermark);
        }

        // Only live members heartbeat (a restarted process stays silent until its rejoin is decided),
        // so a grant to this address is a grant to the incarnation the configuration names.
        bool grant = epoch == replica.Epoch && member is { Excluded: false } && replica.IsLive;
        if (grant)
        {
            leases.Granting(member!.Placed);
        }

        return new LeaseAnswer(grant, replica.Epoch);
    }

    [LoggerMessage(EventId = LogEvents.ReplicaAppliedFromFormerMember, Level = LogLevel.Debug, Message = "A write of {Key} at version {Version} from {Sender}, no member at epoch {Epoch}: {Outcome}")]
    private static partial void LogAppliedFromFormerMember(ILogger logger, string key, long version, string sender, long epoch, ReplicaAckKind outcome);
}
