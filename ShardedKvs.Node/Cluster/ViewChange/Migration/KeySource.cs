using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.ViewChange.Migration;

/// <summary>
/// The source side of a view change: streams the keys this node loses to their next owners in
/// bounded batches. A key is marked in flight while its batch travels (its requests wait), and is
/// deleted here only after the target acknowledged that it stored it.
/// </summary>
public sealed partial class KeySource(
    ClusterState state,
    KeyValueStore store,
    KeysInFlight inFlight,
    IBatchTransport transport,
    NodeTelemetry telemetry,
    TimeProvider time,
    IOptions<NodeOptions> options,
    ILogger<KeySource> logger)
{
    private readonly NodeOptions _options = options.Value;
    private long _lastBatchId;
    private long _movedEpoch;
    private long _moved;

    /// <summary>Keys this node has handed over for the change to <paramref name="epoch"/>.</summary>
    public long MovedFor(long epoch) => Interlocked.Read(ref _movedEpoch) == epoch ? Interlocked.Read(ref _moved) : 0;

    /// <summary>Keys this node holds that belong to another node in the pending view: what it still has to move.</summary>
    public long CountRemaining()
    {
        ClusterSnapshot snapshot = state.Snapshot;
        if (snapshot.Pending is not { } pending)
        {
            return 0;
        }

        long remaining = 0;
        foreach (StoredEntry entry in store.Entries)
        {
            if (pending.Ring.OwnerIndexOfHash(StableHash.Of(entry.KeyUtf8)) != snapshot.PendingSelfIndex)
            {
                remaining++;
            }
        }

        return remaining;
    }

    /// <param name="skipTargets">Targets known to be down: keys meant for them stay here.</param>
    public async Task<MigrateResult> MigrateAsync(long epoch, IReadOnlyCollection<string> skipTargets, CancellationToken cancellationToken)
    {
        if (!state.BeginHandoff(epoch))
        {
            throw new InvalidOperationException($"No pending view with epoch {epoch} on {state.Snapshot.Self}");
        }

        // Every write that began before the hand-off was published has finished after this, and
        // every later one sees it and goes through the hand-off.
        inFlight.Barrier();
        ClusterSnapshot snapshot = state.Snapshot;
        ClusterView pending = snapshot.Pending!;

        int self = snapshot.PendingSelfIndex;
        bool[] skip = pending.Nodes.Select(n => skipTargets.Contains(n, StringComparer.OrdinalIgnoreCase)).ToArray();
        long kept = 0;
        int batchSize = Math.Max(1, _options.MigrationBatchSize);
        var outgoing = new Dictionary<int, List<string>>();
        long moved = 0;
        int batches = 0;
        foreach (StoredEntry entry in store.Entries)
        {
            int owner = pending.Ring.OwnerIndexOfHash(StableHash.Of(entry.KeyUtf8));
            if (owner == self)
            {
                continue;
            }

            if (skip[owner])
            {
                kept++;
                continue;
            }

            if (!outgoing.TryGetValue(owner, out List<string>? keys))
            {
                outgoing[owner] = keys = new List<string>(batchSize);
            }

            keys.Add(entry.Key);
            if (keys.Count == batchSize)
            {
                moved += await SendBatchAsync(pending, pending.Nodes[owner], keys, cancellationToken);
                batches++;
                keys.Clear();
            }
        }

        foreach ((int owner, List<string> keys) in outgoing)
        {
            if (keys.Count > 0)
            {
                moved += await SendBatchAsync(pending, pending.Nodes[owner], keys, cancellationToken);
                batches++;
            }
        }

        return new MigrateResult(snapshot.Self, moved, batches, KeysRemaining: kept);
    }

    private async Task<int> SendBatchAsync(ClusterView pending, string target, List<string> keys, CancellationToken cancellationToken)
    {
        if (_options.MigrationBatchDelay > TimeSpan.Zero)
        {
            await Task.Delay(_options.MigrationBatchDelay, time, cancellationToken);
        }

        var begun = new List<(string Key, ulong Hash, ReadOnlyMemory<byte> Value)>(keys.Count);
        foreach (string key in keys)
        {
            ulong hash = StableHash.Of(key);
            lock (inFlight.StripeFor(hash))
            {
                if (store.TryGet(key, out ReadOnlyMemory<byte> value) && inFlight.TryBeginHandoff(key))
                {
                    begun.Add((key, hash, value));
                }
            }
        }

        if (begun.Count == 0)
        {
            return 0;
        }

        var entries = new MigrationEntry[begun.Count];
        for (int i = 0; i < begun.Count; i++)
        {
            entries[i] = new MigrationEntry(begun[i].Key, System.Text.Encoding.UTF8.GetString(begun[i].Value.Span));
        }

        var batch = new MigrationBatch(pending.Epoch, state.Snapshot.Self, Interlocked.Increment(ref _lastBatchId), entries);
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.migration.batch", ActivityKind.Client);
        activity?.SetTag("kvs.source", batch.Source);
        activity?.SetTag("kvs.target", target);
        activity?.SetTag("kvs.epoch", batch.Epoch);
        activity?.SetTag("kvs.keys_moved", entries.Length);
        activity?.SetTag("kvs.bytes_moved", begun.Sum(b => (long)b.Value.Length));
        try
        {
            await DeliverAsync(target, batch, cancellationToken);
        }
        catch (Exception e)
        {
            // Cancelled too (the coordinator's call died with it): the target may hold the batch, and
            // keys left in flight would make a re-run skip them and their requests wait forever.
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            activity?.SetTag("kvs.keys_moved", 0);
            await TryDiscardAsync(target, batch);
            EndHandoffs(begun, deleteHere: false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw e as MigrationFailedException ?? new MigrationFailedException(target, e.Message);
        }

        EndHandoffs(begun, deleteHere: true);
        telemetry.KeysMoved.Add(begun.Count);
        if (Interlocked.Exchange(ref _movedEpoch, pending.Epoch) != pending.Epoch)
        {
            Interlocked.Exchange(ref _moved, 0);
        }

        Interlocked.Add(ref _moved, begun.Count);
        return begun.Count;
    }

    private void EndHandoffs(List<(string Key, ulong Hash, ReadOnlyMemory<byte> Value)> begun, bool deleteHere)
    {
        foreach ((string key, ulong hash, ReadOnlyMemory<byte> value) in begun)
        {
            lock (inFlight.StripeFor(hash))
            {
                if (deleteHere)
                {
                    store.RemoveIfUnchanged(key, value);
                }

                inFlight.EndHandoff(key);
            }
        }
    }

    /// <summary>Sends the batch until the target acknowledges it or the deadline passes. Safe to
    /// repeat: the target stores a batch id once.</summary>
    private async Task DeliverAsync(string target, MigrationBatch batch, CancellationToken cancellationToken)
    {
        long deadline = time.GetTimestamp() + (long)(_options.BatchDeadline.TotalSeconds * time.TimestampFrequency);
        var backoff = TimeSpan.FromMilliseconds(50);
        int refusedInARow = 0;
        while (true)
        {
            PeerCallResult result = await transport.SendAsync(target, batch, cancellationToken);
            if (result.Succeeded)
            {
                return;
            }

            string failure = result.Error ?? "failed";
            if (result.Outcome == PeerCallOutcome.Answered)
            {
                if (result.Status is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout))
                {
                    throw new MigrationFailedException(target, failure);
                }
            }
            else
            {
                // Nothing listens on the target's port: it is down, and waiting out the deadline helps no one.
                refusedInARow = result.Refused ? refusedInARow + 1 : 0;
                if (refusedInARow >= 3)
                {
                    throw new MigrationFailedException(target, failure);
                }
            }

            if (time.GetTimestamp() + (long)(backoff.TotalSeconds * time.TimestampFrequency) > deadline)
            {
                throw new MigrationFailedException(target, failure);
            }

            LogBatchRetry(logger, batch.BatchId, target, failure);
            await Task.Delay(backoff, time, cancellationToken);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }

    /// <summary>Tells the target to drop a batch it may have stored without our seeing the answer,
    /// so no stale copy stays there. Best effort: a target that cannot be reached is down or cut off.</summary>
    private async Task TryDiscardAsync(string target, MigrationBatch batch)
    {
        PeerCallResult result = await transport.DiscardAsync(target, batch, CancellationToken.None);
        if (result.Outcome != PeerCallOutcome.Answered)
        {
            LogDiscardFailed(logger, batch.BatchId, target, result.Error ?? "");
        }
    }

    [LoggerMessage(EventId = LogEvents.MigrationBatchRetry, Level = LogLevel.Warning, Message = "Batch {BatchId} to {Target} failed ({Reason}); retrying")]
    private static partial void LogBatchRetry(ILogger logger, long batchId, string target, string reason);

    [LoggerMessage(EventId = LogEvents.MigrationDiscardFailed, Level = LogLevel.Warning, Message = "Could not tell {Target} to discard batch {BatchId}: {Reason}")]
    private static partial void LogDiscardFailed(ILogger logger, long batchId, string target, string reason);
}
