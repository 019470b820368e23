using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// Serves one key request in replicated mode. The key's primary (its first in-sync replica) orders
/// its writes: one at a time per key (<see cref="KeyTurns"/>), each with a version, applied here only
/// after every member of the write set holds it, so this store never shows a write a replica could
/// lack. Reads are served from this store while every other member of the key's write set has granted
/// this node a lease, so a primary that was deposed without knowing it cannot serve a stale value.
/// Requests for keys of other primaries are forwarded to them.
/// </summary>
public sealed class ReplicatedKeyHandler(
    ClusterState state,
    KeyValueStore store,
    KeysInFlight inFlight,
    KeyTurns turns,
    PrimaryVersions versions,
    WriteReplicator replicator,
    Promotions promotions,
    LeaseBook leases,
    PeerLiveness liveness,
    IConfigLog configLog,
    TracedForwards forwards,
    NodeTelemetry telemetry,
    TimeProvider time,
    IOptions<NodeOptions> options)
{
    private const int MaxAttempts = 16;

    /// <summary>Why a cut-off node answers at once what it would otherwise wait for until its deadline.</summary>
    private const string CutOff = "this node hears no majority of the cluster (cut off?): nothing was done; try another node";

    private readonly NodeOptions _options = options.Value;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<KeyOutcome> ExecuteAsync(KeyOperation operation, string key, byte[]? value, long? senderEpoch, CancellationToken cancellationToken)
    {
        ulong hash = Ring.StableHash.Of(key);
        long deadline = Deadlines.From(time, _options.ForwardTimeout);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            ClusterSnapshot snapshot = state.Snapshot;
            if (snapshot.Replica is not { } replica)
            {
                return NotServing("Cluster is forming: not every node of the view has joined yet");
            }

            if (replica.Status != NodeStatus.Serving)
            {
                // Idle, rejoining or excluded: like an idle node of the one-copy protocol, it refuses
                // before doing anything, naming the view, so a client goes to a member instead.
                return NotServing(replica.Status switch
                {
                    NodeStatus.Joining => "Node is rejoining the cluster as a new member and does not serve keys yet",
                    NodeStatus.Excluded => "Node was excluded from the cluster while cut off and is starting over",
                    _ => "Node is not in the view",
                });
            }

            PlacedMember? primary = replica.Map.PrimaryOf(hash);
            if (primary is null)
            {
                return new KeyOutcome(OutcomeKind.OwnerUnavailable, Error: "Every copy of the key was lost: all its replicas died within one re-replication");
            }

            if (primary.Value != replica.Self)
            {
                if (senderEpoch is { } sent && sent >= replica.Epoch)
                {
                    // The sender routed here by a newer configuration: this node lags, so it learns that
                    // configuration and routes again. At the same epoch the request must not circle.
                    if (sent > replica.Epoch)
                    {
                        await configLog.CatchUpAsync(cancellationToken);
                        if (await UntilNewerConfigurationAsync(snapshot, deadline, cancellationToken))
                        {
                            attempt--;
                            continue;
                        }
                    }

                    return NotServing($"Node is not the key's primary at epoch {replica.Epoch}");
                }

                KeyOutcome forwarded = await forwards.ForwardAsync(primary.Value.Address, replica.Epoch, operation, key, value);
                if (forwarded.NeverSent && senderEpoch is null)
                {
                    if (!liveness.HearsMajorityOf(replica.Config.Voters, replica.Self))
                    {
                        return forwarded with { Error = $"{forwarded.Error}, and {CutOff}" };
                    }

                    if (await UntilNewerConfigurationAsync(snapshot, deadline, cancellationToken))
                    {
                        // The primary is down and the request never left: once the survivors exclude it (about
                        // a second), its keys have a new primary, so wait for that rather than fail.
                        attempt--;
                        continue;
                    }
                }

                return forwarded;
            }

            if (promotions.GateFor(replica, hash) is { } promoted)
            {
                if (!await Deadlines.WaitAsync(promoted, deadline, time, cancellationToken))
                {
                    return new KeyOutcome(OutcomeKind.KeyBusy, Error: "The key's new primary is still taking it over; try again");
                }

                // Route again: the wait may have been for this configuration's takeovers to be
                // registered, and one of them may hold the key back in turn.
                attempt--;
                continue;
            }

            KeyOutcome? outcome;
            if (operation == KeyOperation.Get)
            {
                outcome = await ReadAsync(snapshot, replica, key, hash, deadline, cancellationToken);
            }
            else if (operation == KeyOperation.Delete && !store.Contains(key))
            {
                // A delete of a missing key writes nothing: its 404 is a read, served as one, under the
                // leases (seen in PartitionedPrimaryTests: a cut-off primary, not yet aware it had been
                // replaced, answered "not found" for a key its successor had written since). A key
                // written meanwhile is deleted as usual.
                outcome = await ReadAsync(snapshot, replica, key, hash, deadline, cancellationToken);
                if (outcome is { Kind: OutcomeKind.Found })
                {
                    outcome = await WriteAsync(operation, key, hash, value, deadline, cancellationToken);
                }
            }
            else
            {
                outcome = await WriteAsync(operation, key, hash, value, deadline, cancellationToken);
            }

            if (outcome is { } done)
            {
                telemetry.CountRequest(operation, done.Kind);
                return done;
            }
        }

        return new KeyOutcome(OutcomeKind.KeyBusy, Error: "The configuration kept changing while serving the request; try again");
    }

    /// <returns>Null when the configuration changed under the read: route it again.</returns>
    private async ValueTask<KeyOutcome?> ReadAsync(ClusterSnapshot snapshot, ReplicaState replica, string key, ulong hash, long deadline, CancellationToken cancellationToken)
    {
        while (!HoldsEveryLease(replica, hash))
        {
            if (time.GetTimestamp() >= deadline)
            {
                return new KeyOutcome(OutcomeKind.KeyBusy, Error: "The primary holds no read lease from every replica of the key; try again");
            }

            if (!liveness.HearsMajorityOf(replica.Config.Voters, replica.Self))
            {
                return new KeyOutcome(OutcomeKind.KeyBusy, Error: $"The primary holds no read lease from every replica of the key, and {CutOff}");
            }

            await Task.Delay(_options.HeartbeatInterval / 4, time, cancellationToken);
            if (state.Version != snapshot.Version)
            {
                return null;
            }
        }

        KeyOutcome outcome = store.TryGet(key, out ReadOnlyMemory<byte> found) ? KeyOutcome.Found(found) : KeyOutcome.NotFound;

        // A read that raced a new configuration may have looked after the key's primary changed.
        return state.Version == snapshot.Version ? outcome : null;
    }

    private bool HoldsEveryLease(ReplicaState replica, ulong hash)
    {
        PlacedMember[] writeSet = ArrayPool<PlacedMember>.Shared.Rent(replica.Map.MaxWriteSet);
        try
        {
            int members = replica.Map.WriteSetOf(hash, writeSet);
            for (int i = 0; i < members; i++)
            {
                if (writeSet[i] != replica.Self && !leases.HoldsFrom(writeSet[i].Address))
                {
                    return false;
                }
            }

            return true;
        }
        finally
        {
            ArrayPool<PlacedMember>.Shared.Return(writeSet, clearArray: true);
        }
    }

    /// <returns>Null when this node stopped being the key's primary before the write began: route it again.</returns>
    private async ValueTask<KeyOutcome?> WriteAsync(KeyOperation operation, string key, ulong hash, byte[]? value, long deadline, CancellationToken cancellationToken)
    {
        if (!await turns.TakeAsync(key, deadline, time, cancellationToken))
        {
            return new KeyOutcome(OutcomeKind.KeyBusy, Error: "Earlier writes of the key are still being replicated; try again");
        }

        bool handedOn = false;
        try
        {
            ReplicaState replica = state.Snapshot.Replica!;
            if (replica.Map.PrimaryOf(hash) != replica.Self)
            {
                return null;
            }

            int inSync = replica.Map.InSyncCountOf(hash);
            if (inSync < replicator.NeededInSync(replica))
            {
                return NotServing($"Only {inSync} in-sync replica(s) of the key are live and a write needs {replicator.NeededInSync(replica)}: nothing was written");
            }

            bool existed = store.Contains(key);
            if (operation == KeyOperation.Delete && !existed)
            {
                // Deleted by a write that finished since ExecuteAsync looked: a read again (see there),
                // so a lease that ran out meanwhile sends the request round to wait for it.
                return HoldsEveryLease(replica, hash) ? KeyOutcome.NotFound : null;
            }

            switch (versions.TryBegin(replica.Epoch, out WriteWindow window, out long version))
            {
                case WriteStart.WindowFull:
                    return new KeyOutcome(OutcomeKind.KeyBusy, Error: "Too many writes are being replicated; try again");
                case WriteStart.EpochMoved:
                    return null;
            }

            // The write goes on until every replica holds it even if its client stops waiting: a write
            // is never left half-done while this node is primary.
            Task<KeyOutcome> replicating = ReplicateThenApplyAsync(window, operation, key, hash, value, version, existed, replica.Self);
            handedOn = true;
            if (!await Deadlines.WaitAsync(replicating, deadline, time, cancellationToken))
            {
                return new KeyOutcome(OutcomeKind.OwnerUnreachable, Error: "Replicas did not acknowledge the write in time; its outcome is unknown");
            }

            return await replicating;
        }
        finally
        {
            if (!handedOn)
            {
                turns.Release(key);
            }
        }
    }

    private async Task<KeyOutcome> ReplicateThenApplyAsync(WriteWindow window, KeyOperation operation, string key, ulong hash, byte[]? value, long version, bool existed, PlacedMember startedAs)
    {
        try
        {
            bool deposed = false;
            while (true)
            {
                (ReplicationResult result, long seen) = await replicator.ReplicateAsync(operation, key, hash, value, version, startedAs, CancellationToken.None, asFormerPrimary: deposed);
                if (result == ReplicationResult.Deposed && !deposed)
                {
                    // A view change moved the key while its write was under way. The new primary serves
                    // the key only once this node has finished the writes it began before (Promotions
                    // asks), so finishing it on the new write set orders it before all of the new
                    // primary's writes.
                    deposed = true;
                    continue;
                }

                if (result != ReplicationResult.Held)
                {
                    return new KeyOutcome(OutcomeKind.OwnerUnreachable, Error: result == ReplicationResult.Deposed
                        ? "This node was excluded while replicating the write; its outcome is unknown"
                        : "Too few in-sync replicas were left while replicating the write; its outcome is unknown");
                }

                lock (inFlight.StripeFor(hash))
                {
                    // Applied under the stripe against the snapshot the write set was read from, so a fill
                    // that passed the stripes' barrier after a new configuration finds every later write
                    // already sent to its learners.
                    if (state.Version != seen)
                    {
                        continue;
                    }

                    if (deposed && state.Snapshot.Replica is { } now && !now.Map.HoldsCopy(now.Self, hash))
                    {
                        return operation == KeyOperation.Put ? (existed ? KeyOutcome.Replaced : KeyOutcome.Created) : KeyOutcome.Deleted;
                    }

                    if (operation == KeyOperation.Put)
                    {
                        store.PutIfNewer(key, value!, version);
                        return existed ? KeyOutcome.Replaced : KeyOutcome.Created;
                    }

                    store.RemoveIfOlderThan(key, version);
                    return KeyOutcome.Deleted;
                }
            }
        }
        finally
        {
            window.Complete(version);
            turns.Release(key);
        }
    }

    /// <summary>Waits until a configuration newer than <paramref name="seen"/>'s is adopted; false when
    /// the deadline passes first.</summary>
    private async ValueTask<bool> UntilNewerConfigurationAsync(ClusterSnapshot seen, long deadline, CancellationToken cancellationToken)
    {
        while (state.Snapshot.Replica?.Epoch == seen.Replica?.Epoch)
        {
            if (time.GetTimestamp() >= deadline)
            {
                return false;
            }

            await Task.Delay(_options.HeartbeatInterval / 2, time, cancellationToken);
        }

        return true;
    }

    private static KeyOutcome NotServing(string error) => new(OutcomeKind.NotServing, Error: error);
}
