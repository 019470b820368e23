using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// A replica's part in settling the writes of a primary that can no longer finish them. A primary cut
/// off or killed in the middle of a write may have reached some of the key's replicas and not the
/// others. The key's new primary re-sends what it holds of such writes before it serves the key
/// (<see cref="Promotions"/>), but a write that only another replica got stayed on that replica alone:
/// the copies differed (seen in <c>PartitionedPrimaryTests</c>: a delete the cut-off primary got to one
/// replica only left the key on two nodes of three, a put left a deleted key on one), and had that
/// replica later led the key, it would have served what the others never held. So every in-sync
/// replica holding such writes of keys another node now leads sends its copy of each key to the key's
/// write set, the new primary included. Versions make the newest copy win everywhere: a write whose
/// client never heard of its outcome either takes effect on every copy, or a newer write replaces it;
/// writes of the new primary are always newer (their epoch is).
/// </summary>
/// <remarks>
/// Concurrency: one settling per former primary at a time (<c>_settling</c>, a concurrent set); the
/// store and <see cref="UncertainWrites"/> are safe for concurrent use. Each send reads the newest
/// snapshot, so a key that moved meanwhile is sent to its new write set, or left to its new primary.
/// </remarks>
public sealed partial class StrandedWrites(
    ClusterState state,
    KeyValueStore store,
    UncertainWrites uncertain,
    IReplicationTransport transport,
    PrimaryVersions versions,
    TimeProvider time,
    IOptions<NodeOptions> options,
    ILogger<StrandedWrites> logger)
{
    private const int RoundsPerKey = 8;

    private readonly NodeOptions _options = options.Value;
    private readonly ConcurrentDictionary<PlacedMember, Task> _settling = new();

    /// <summary>Starts settling the writes of every primary <paramref name="replica"/>'s configuration
    /// no longer counts as live (excluded, replaced by a new process, or removed) that this node holds
    /// uncertain. Keys not settled now are tried again at the next configuration.</summary>
    public void OnAdopted(ReplicaState replica)
    {
        if (!replica.IsLive)
        {
            return;
        }

        foreach (PlacedMember primary in uncertain.Primaries)
        {
            if (primary != replica.Self && !replica.Config.IsLive(primary) && uncertain.Of(primary).Count > 0)
            {
                var settling = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_settling.TryAdd(primary, settling.Task))
                {
                    _ = SettleAsync(primary, settling);
                }
            }
        }
    }

    private async Task SettleAsync(PlacedMember primary, TaskCompletionSource settling)
    {
        try
        {
            await Task.Yield();
            int sent = 0, left = 0;
            foreach ((string key, long version) in uncertain.Of(primary))
            {
                switch (await SendAsync(key, version))
                {
                    case Sending.Held:
                        uncertain.Reconciled(primary, key, version);
                        sent++;
                        break;
                    case Sending.NotHeld:
                        left++;
                        break;
                }
            }

            LogSettled(logger, sent, primary, left);
        }
        finally
        {
            _settling.TryRemove(primary, out _);
            settling.TrySetResult();
        }
    }

    private async Task<Sending> SendAsync(string key, long uncertainVersion)
    {
        ulong hash = StableHash.Of(key);
        for (int round = 0; round < RoundsPerKey; round++)
        {
            if (state.Snapshot.Replica is not { IsLive: true } replica)
            {
                return Sending.NotHeld;
            }

            if (replica.Map.PrimaryOf(hash) == replica.Self)
            {
                return Sending.NotThisNodes; // its takeover re-sends what this node holds (Promotions)
            }

            PlacedMember[] writeSet = ArrayPool<PlacedMember>.Shared.Rent(replica.Map.MaxWriteSet);
            try
            {
                int members = replica.Map.WriteSetOf(hash, writeSet);
                if (Array.IndexOf(writeSet, replica.Self, 0, replica.Map.InSyncCountOf(hash)) < 0)
                {
                    // Only an in-sync replica's store says what the key is: a learner's may still lack it,
                    // and what a node holds of keys it no longer replicates is a leftover being dropped.
                    return Sending.NotThisNodes;
                }

                // Absent on an in-sync replica means the newest write it applied was a delete.
                (KeyOperation operation, ReadOnlyMemory<byte> value, long version) = store.TryGet(key, out ReadOnlyMemory<byte> held, out long heldVersion)
                    ? (KeyOperation.Put, held, heldVersion)
                    : (KeyOperation.Delete, ReadOnlyMemory<byte>.Empty, uncertainVersion);
                if (await AllHoldAsync(replica, writeSet.AsMemory(0, members), operation, key, value, version))
                {
                    return Sending.Held;
                }
            }
            finally
            {
                ArrayPool<PlacedMember>.Shared.Return(writeSet, clearArray: true);
            }

            await Task.Delay(_options.HeartbeatInterval, time);
        }

        return Sending.NotHeld;
    }

    private async Task<bool> AllHoldAsync(ReplicaState replica, ReadOnlyMemory<PlacedMember> writeSet, KeyOperation operation, string key, ReadOnlyMemory<byte> value, long version)
    {
        bool allHold = true;
        for (int i = 0; i < writeSet.Length; i++)
        {
            PlacedMember member = writeSet.Span[i];
            if (member != replica.Self)
            {
                ReplicaAck ack = await transport.ReplicateAsync(member.Address, replica.Epoch, version, operation, key, value, versions.Watermark, _options.ReplicateTimeout);
                allHold &= ack.Holds;
            }
        }

        return allHold;
    }

    private enum Sending
    {
        /// <summary>Every other member of the key's write set holds this node's copy.</summary>
        Held,

        /// <summary>Some did not answer or were behind: tried again at the next configuration.</summary>
        NotHeld,

        /// <summary>This node leads the key (its takeover settles it) or is no in-sync replica of it.</summary>
        NotThisNodes,
    }

    [LoggerMessage(EventId = LogEvents.StrandedWritesSent, Level = LogLevel.Information, Message = "Sent {Sent} keys with writes of {Primary}, which can no longer finish them, to their replicas ({Left} left for the next configuration)")]
    private static partial void LogSettled(ILogger logger, int sent, PlacedMember primary, int left);
}
