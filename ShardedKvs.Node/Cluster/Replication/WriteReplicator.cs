using System.Buffers;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// Sends one write of a key this node is primary for to every other member of the key's write set
/// (its in-sync replicas and learners) and waits until all of them hold it. The write set is read
/// again from the newest snapshot on every round: a replica excluded meanwhile is no longer waited
/// for, a learner added meanwhile is sent the write too, and under a new epoch every member is sent it
/// again. A replica that did not answer is sent it again, on the same lane while it stays open
/// (versions make that harmless). It gives up only when
/// this node stops being the key's primary or too few in-sync replicas are left: then the write is
/// left to the next primary's reconciliation, and its client hears that the outcome is unknown.
/// A write belongs to the incarnation of this node that gave it its version: once this process was
/// excluded and rejoined as a new member, its older writes are given up even where the new member is
/// the key's primary again (the key's takeover already settled what the replicas held of them).
/// </summary>
public sealed class WriteReplicator(ClusterState state, IReplicationTransport transport, IConfigLog configLog, PrimaryVersions versions, TimeProvider time, IOptions<NodeOptions> options)
{
    private readonly NodeOptions _options = options.Value;

    /// <returns>What came of it, and the snapshot version whose write set it last sent to: the caller
    /// applies the write only if no newer snapshot was published since.</returns>
    /// <param name="asFormerPrimary">The write began while this node was the key's primary and a new
    /// configuration moved the key: finish it on the new write set, the new primary included (which
    /// serves the key only once this node reports its older writes done, see <c>Promotions</c>).</param>
    /// <param name="startedAs">This node's incarnation when the write was given its version.</param>
    public async ValueTask<(ReplicationResult Result, long SnapshotVersion)> ReplicateAsync(KeyOperation operation, string key, ulong hash, ReadOnlyMemory<byte> value, long version, PlacedMember startedAs, CancellationToken cancellationToken, bool asFormerPrimary = false)
    {
        ReplicaState? replica = state.Snapshot.Replica;
        if (replica is null)
        {
            return (ReplicationResult.Deposed, 0);
        }

        PlacedMember[] writeSet = ArrayPool<PlacedMember>.Shared.Rent(replica.Map.MaxWriteSet);
        ValueTask<ReplicaAck>[] sends = ArrayPool<ValueTask<ReplicaAck>>.Shared.Rent(replica.Map.MaxWriteSet);
        List<PlacedMember>? holding = null;
        long holdingAt = replica.Epoch;
        try
        {
            for (int round = 0; ; round++)
            {
                ClusterSnapshot snapshot = state.Snapshot;
                replica = snapshot.Replica!;
                if (replica.Epoch != holdingAt)
                {
                    // A member that held the write under an older configuration may have dropped it on
                    // adopting this one: a new fill first drops what its learners hold of the keys they
                    // learn, and its copy can pass this key before the write is applied here. Seen in
                    // PartitionedPrimaryTests (key8): a write acknowledged by a learner, then held up by
                    // a replica that was cut off, finished after the exclusion without reaching the
                    // learner again, which became the key's primary without it.
                    holding?.Clear();
                    holdingAt = replica.Epoch;
                }

                // Seen in PartitionedPrimaryTests: a primary cut off while a write was under way learned
                // of its exclusion only when healed, rejoined as a new member, became the key's primary
                // again within a second, and this write (still waiting for the answers of its last
                // round) then found itself on the primary and finished, answering "created" for a value
                // older than the writes the key's takeover had let through meanwhile.
                if (replica.Self != startedAs
                    || (asFormerPrimary ? replica.Status is NodeStatus.Excluded or NodeStatus.Joining : replica.Map.PrimaryOf(hash) != replica.Self))
                {
                    return (ReplicationResult.Deposed, snapshot.Version);
                }

                if (replica.Map.InSyncCountOf(hash) < NeededInSync(replica))
                {
                    return (ReplicationResult.TooFewReplicas, snapshot.Version);
                }

                int members = replica.Map.WriteSetOf(hash, writeSet);
                int sent = 0;
                for (int i = 0; i < members; i++)
                {
                    PlacedMember member = writeSet[i];
                    if (member != replica.Self && holding?.Contains(member) != true)
                    {
                        writeSet[sent] = member;
#pragma warning disable CA2012 // each one is awaited exactly once below, after all were started
                        sends[sent++] = transport.ReplicateAsync(member.Address, replica.Epoch, version, operation, key, value, versions.Watermark, _options.ReplicateTimeout);
#pragma warning restore CA2012
                    }
                }

                if (sent == 0)
                {
                    return (ReplicationResult.Held, snapshot.Version);
                }

                bool behind = false, unanswered = false;
                for (int i = 0; i < sent; i++)
                {
                    ReplicaAck ack = await sends[i];
                    sends[i] = default;
                    if (ack.Holds)
                    {
                        (holding ??= []).Add(writeSet[i]);
                    }
                    else if (ack.Kind is ReplicaAckKind.StaleEpoch or ReplicaAckKind.NotReplica)
                    {
                        behind |= ack.Kind == ReplicaAckKind.StaleEpoch || ack.ReplicaEpoch > replica.Epoch;
                        unanswered = true;
                    }
                    else
                    {
                        unanswered = true;
                    }
                }

                if (behind)
                {
                    await configLog.CatchUpAsync(cancellationToken);
                }
                else if (unanswered)
                {
                    // Someone did not answer: give the failure detector and the lanes a moment.
                    await Task.Delay(RetryPause(round), time, cancellationToken);
                }
            }
        }
        finally
        {
            ArrayPool<PlacedMember>.Shared.Return(writeSet, clearArray: true);
            ArrayPool<ValueTask<ReplicaAck>>.Shared.Return(sends, clearArray: true);
        }
    }

    /// <summary>In-sync replicas a write needs under <paramref name="replica"/>: the configured minimum,
    /// never more than the effective replication factor.</summary>
    public int NeededInSync(ReplicaState replica) => replica.Config.NeededInSync(_options.MinInSync);

    private static TimeSpan RetryPause(int round) => TimeSpan.FromMilliseconds(Math.Min(200, 10 << Math.Min(round, 5)));
}

public enum ReplicationResult
{
    /// <summary>Every member of the key's write set holds the write.</summary>
    Held,

    /// <summary>This node is no longer the key's primary; some replicas may hold the write.</summary>
    Deposed,

    /// <summary>Fewer in-sync replicas are left than a write needs; some may hold the write.</summary>
    TooFewReplicas,
}
