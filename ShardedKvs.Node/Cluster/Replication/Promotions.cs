using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// Holds back the keys this node became primary for until their previous primary can no longer serve
/// them: it adopted the new epoch and finished the writes it began before it, or it does not answer
/// (or can no longer write) and every read lease this node granted it has run out
/// (<see cref="TakeoverWait"/>; one a view change removed, which leases do not fence, is asked until
/// it has been silent for <see cref="NodeOptions.ControlTimeout"/>). Then it reconciles: it sends the
/// keys' replicas every write it holds uncertain from a primary that can no longer finish it (the
/// previous one when it did not confirm, any earlier one no longer live), so a write some replica
/// already showed can never vanish at a later move. Requests for such keys wait on <see cref="GateFor"/>. The takeovers under way are an
/// immutable array replaced under a lock.
/// </summary>
/// <remarks>
/// A configuration is published (<see cref="ClusterState.AdoptConfig"/>) before its takeovers are
/// registered here (<see cref="OnAdopted"/>), so until they are, every request under it waits: a delete
/// served in that window, then undone by the takeover's reconciliation re-applying an older put of the
/// dead primary, was caught once by the fresh-clone CI (key89 of <c>FailoverTests</c>). The newest epoch
/// registered and the signal of the next registration are written in that order, and read in the
/// opposite one, so a request never waits on a signal that was already given.
/// </remarks>
public sealed partial class Promotions(
    ClusterState state,
    KeyValueStore store,
    UncertainWrites uncertain,
    KeysInFlight inFlight,
    WriteReplicator replicator,
    LeaseBook leases,
    PeerClient peers,
    TimeProvider time,
    IOptions<NodeOptions> options,
    ILogger<Promotions> logger)
{
    private readonly Lock _gate = new();
    private readonly NodeOptions _options = options.Value;
    private volatile Takeover[] _pending = [];
    private long _registeredEpoch;
    private volatile TaskCompletionSource _nextRegistration = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether some key this node leads is still being taken over (requests for it wait).</summary>
    public bool IsTakingOver => _pending.Any(t => !t.Done.IsCompleted);

    /// <summary>What a request for the key must wait for before this node serves it, or null.</summary>
    public Task? GateFor(ReplicaState replica, ulong hash)
    {
        TaskCompletionSource registration = _nextRegistration;
        if (Volatile.Read(ref _registeredEpoch) < replica.Epoch)
        {
            return registration.Task;
        }

        foreach (Takeover takeover in _pending)
        {
            if (!takeover.Done.IsCompleted && takeover.After.PrimaryOf(hash) == replica.Self && takeover.Before.PrimaryOf(hash) == takeover.From)
            {
                return takeover.Done;
            }
        }

        return null;
    }

    /// <summary>Starts a takeover for every previous primary of keys this node leads in <paramref name="replica"/>.</summary>
    public void OnAdopted(ReplicaState replica)
    {
        PlacementMap? before = replica.Previous;
        IReadOnlySet<PlacedMember> previous = before is null ? ImmutableHashSet<PlacedMember>.Empty : Takeovers.From(before, replica.Map, replica.Self);
        TaskCompletionSource registered;
        lock (_gate)
        {
            var pending = _pending.Where(t => !t.Done.IsCompleted).ToList();
            foreach (PlacedMember from in previous)
            {
                var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var takeover = new Takeover(from, before!, replica.Map, replica.Epoch, completion.Task);
                pending.Add(takeover);
                _ = RunAsync(takeover, completion);
            }

            _pending = [.. pending];
            Volatile.Write(ref _registeredEpoch, Math.Max(_registeredEpoch, replica.Epoch));
            registered = _nextRegistration;
            _nextRegistration = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        registered.TrySetResult();
    }

    private async Task RunAsync(Takeover takeover, TaskCompletionSource completion)
    {
        long started = time.GetTimestamp();
        // Joins the trace of the decision that made this node primary (a failover's, a fill's switch).
        using Activity? activity = NodeTelemetry.StartFromDecision("kvs.promotion", takeover.After.Config);
        activity?.SetTag("kvs.node", state.Snapshot.Replica?.Self.ToString());
        activity?.SetTag("kvs.previous_primary", takeover.From.ToString());
        LogTakeoverStarted(logger, takeover.From, takeover.Epoch);
        try
        {
            bool confirmed = await WaitUntilPreviousStoppedAsync(takeover);
            activity?.SetTag("kvs.confirmed", confirmed);
            int reconciled = await ReconcileAsync(takeover, confirmed);
            TimeSpan elapsed = time.GetElapsedTime(started);
            activity?.SetTag("kvs.reconciled", reconciled);
            LogTakeoverDone(logger, takeover.From, takeover.Epoch, elapsed, confirmed, reconciled);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
        finally
        {
            completion.TrySetResult();
        }
    }

    /// <returns>True when the previous primary confirmed the new epoch (nothing to reconcile: it lives
    /// and finished its writes as they were); false when its leases ran out instead (see
    /// <see cref="TakeoverWait"/> for when that is enough).</returns>
    private async Task<bool> WaitUntilPreviousStoppedAsync(Takeover takeover)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.promotion.lease_wait");
        TimeSpan pause = _options.HeartbeatInterval / 4;
        int drainChecks = 0;
        long? silentSince = null;
        while (true)
        {
            ClusterConfig latest = state.Snapshot.Replica!.Config;
            DrainReply reply = DrainReply.NotAsked;
            if (TakeoverWait.MayStillWrite(latest, takeover.From))
            {
                drainChecks++;
                reply = await AskDrainedAsync(takeover);
            }

            silentSince = reply == DrainReply.NoAnswer ? silentSince ?? time.GetTimestamp() : null;
            TakeoverStep step = TakeoverWait.Next(
                reply,
                leasesRanOut: time.GetTimestamp() >= leases.GranteeStoppedBy(takeover.From),
                removed: TakeoverWait.WasRemoved(latest, takeover.From),
                silentTooLong: silentSince is { } since && time.GetElapsedTime(since) >= _options.ControlTimeout);
            if (step != TakeoverStep.Wait)
            {
                activity?.SetTag("kvs.drain_checks", drainChecks);
                activity?.SetTag("kvs.ended_by", step == TakeoverStep.Confirmed ? "drained" : "lease expired");
                return step == TakeoverStep.Confirmed;
            }

            await Task.Delay(pause, time);
        }
    }

    /// <summary>Whether the previous primary has adopted the epoch that moved the keys and finished
    /// every write it began before it (it sends those to the new write set, this node included): from
    /// then on nothing it does can go unordered with what this node does.</summary>
    private async Task<DrainReply> AskDrainedAsync(Takeover takeover)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.promotion.drain_check", ActivityKind.Client);
        // A lease's length, not a heartbeat's: on a loaded machine an answer can take well over a
        // heartbeat, and while the previous primary lives its leases keep being renewed, so a check
        // given up that early was only asked again and again while the keys waited (a view change's
        // reads stayed refused for as long as the machine was busy).
        using var timeout = new CancellationTokenSource(_options.LeaseDuration, time);
        try
        {
            // The previous configuration names it, but when a view change removed it, the newer ones
            // and the views this node knows may not: it must be asked all the same (seen in
            // ReplicatedViewChangeTests: a node that never got to grant the removed primary a lease,
            // the configurations changing faster than heartbeats, took its keys over at once and served
            // a delete; the removed primary, not yet aware, then took a put and finished it as former
            // primary, its version older than the delete's, and answered "replaced" for a value never seen).
            (PeerCallResult call, DrainAnswer? answer) = await peers.CallFormerMemberAsync(takeover.From.Address, PeerRoutes.Drained, new DrainQuery(takeover.Epoch), PeerJsonContext.Default.DrainAnswer, timeout.Token);
            DrainReply reply = answer is not null ? (answer.Drained ? DrainReply.Drained : DrainReply.NotYet)
                : call.Refused ? DrainReply.Gone
                : DrainReply.NoAnswer;
            activity?.SetTag("kvs.drained", reply.ToString());
            return reply;
        }
        catch (OperationCanceledException)
        {
            activity?.SetTag("kvs.drained", "no answer");
            return DrainReply.NoAnswer; // no answer in time: ask again, or wait its leases out
        }
    }

    /// <summary>
    /// Settles, before the keys are served, every write a primary that can no longer finish it left
    /// on some of their copies: the previous primary's when it did not confirm it stopped (it died, or
    /// was cut off), and any earlier one's no longer live. For each key this takeover hands this node,
    /// the newest write any live member holds unsettled (this node's own included) is sent to the
    /// key's write set and applied here, so every copy ends with it. A write of a dead primary that
    /// reached one replica only would otherwise stay there alone: the copies would differ for good, and
    /// once that replica led the key it would serve what the others never held. Only keys still held
    /// back by this takeover are settled: a key this node already serves has writes of its own under
    /// way, which an older write sent beside them could overtake (seen in ReplicatedViewChangeTests,
    /// when replicas pushed such writes themselves: a delete the new primary had made was undone on
    /// one replica by an older put arriving after it).
    /// </summary>
    private async Task<int> ReconcileAsync(Takeover takeover, bool confirmed)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.promotion.reconcile");
        ReplicaState replica = state.Snapshot.Replica!;
        PlacedMember self = replica.Self;
        var newest = new Dictionary<string, HeldWrite>(StringComparer.Ordinal);
        var own = new List<(PlacedMember Primary, string Key, long Version)>();
        foreach (PlacedMember primary in uncertain.Primaries)
        {
            if (!MustReconcile(primary, takeover.From, confirmed, replica.Config))
            {
                continue;
            }

            foreach ((string key, long version) in uncertain.Of(primary))
            {
                // The key's new primary is an in-sync replica of it.
                if (takeover.Hands(key, self) && UncertainWrites.Told(store, key, version, inSyncReplica: true) is { } write)
                {
                    own.Add((primary, key, version));
                    ReconcileChoice.Keep(newest, write);
                }
            }
        }

        if (!confirmed)
        {
            foreach (HeldWrite write in await GatherAsync(takeover, replica))
            {
                if (takeover.Hands(write.Key, self))
                {
                    ReconcileChoice.Keep(newest, write);
                }
            }
        }

        var settled = new HashSet<string>(StringComparer.Ordinal);
        foreach (HeldWrite write in newest.Values)
        {
            if (await SettleAsync(write, self))
            {
                settled.Add(write.Key);
            }
        }

        foreach ((PlacedMember primary, string key, long version) in own)
        {
            if (settled.Contains(key))
            {
                uncertain.Reconciled(primary, key, version);
            }
        }

        activity?.SetTag("kvs.reconciled", settled.Count);
        return settled.Count;
    }

    /// <summary>Whether this node, taking keys over from <paramref name="previous"/> under
    /// <paramref name="config"/>, resends what it holds uncertain from <paramref name="primary"/>.</summary>
    public static bool MustReconcile(PlacedMember primary, PlacedMember previous, bool confirmedByPrevious, ClusterConfig config) =>
        primary == previous ? !confirmedByPrevious : !config.IsLive(primary);

    /// <summary>The unsettled writes every other live member holds, each asked until it answers at the
    /// takeover's epoch (before that, the dead primary's writes may still land on it) or a lease's
    /// length has passed: a member that stays silent that long is cut off or dying, and the keys are
    /// not held back for it.</summary>
    private async Task<List<HeldWrite>> GatherAsync(Takeover takeover, ReplicaState replica)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.promotion.gather");
        PlacedMember[] others = [.. replica.Config.Voters.Where(m => m != replica.Self)];
        IReadOnlyList<HeldWrite>?[] answers = await Task.WhenAll(others.Select(member => AskUncertainAsync(member, takeover.Epoch)));
        var gathered = new List<HeldWrite>();
        for (int i = 0; i < others.Length; i++)
        {
            if (answers[i] is { } writes)
            {
                gathered.AddRange(writes);
            }
            else
            {
                LogGatherUnanswered(logger, others[i], takeover.Epoch);
            }
        }

        activity?.SetTag("kvs.gathered", gathered.Count);
        return gathered;
    }

    private async Task<IReadOnlyList<HeldWrite>?> AskUncertainAsync(PlacedMember member, long epoch)
    {
        using var giveUp = new CancellationTokenSource(_options.LeaseDuration, time);
        try
        {
            while (true)
            {
                (_, UncertainAnswer? answer) = await peers.CallAsync(member.Address, PeerRoutes.Uncertain, new UncertainQuery(epoch), PeerJsonContext.Default.UncertainAnswer, giveUp.Token);
                if (answer is { CaughtUp: true })
                {
                    return answer.Writes;
                }

                if (state.Snapshot.Replica?.Config.IsLive(member) != true)
                {
                    return null;
                }

                await Task.Delay(_options.HeartbeatInterval / 4, time, giveUp.Token);
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Sends <paramref name="write"/> to its key's write set, then applies it here.</summary>
    private async Task<bool> SettleAsync(HeldWrite write, PlacedMember self)
    {
        ulong hash = StableHash.Of(write.Key);
        KeyOperation operation = write.Value is null ? KeyOperation.Delete : KeyOperation.Put;
        (ReplicationResult result, _) = await replicator.ReplicateAsync(operation, write.Key, hash, write.Value, write.Version, self, CancellationToken.None);
        if (result != ReplicationResult.Held)
        {
            return false;
        }

        lock (inFlight.StripeFor(hash))
        {
            if (write.Value is { } value)
            {
                store.PutIfNewer(write.Key, value, write.Version);
            }
            else
            {
                store.RemoveIfOlderThan(write.Key, write.Version);
            }
        }

        return true;
    }

    [LoggerMessage(EventId = LogEvents.TakeoverStarted, Level = LogLevel.Information, Message = "Taking over the keys of {Previous} at epoch {Epoch}")]
    private static partial void LogTakeoverStarted(ILogger logger, PlacedMember previous, long epoch);

    [LoggerMessage(EventId = LogEvents.TakeoverDone, Level = LogLevel.Information, Message = "Took over the keys of {Previous} at epoch {Epoch} after {Elapsed} (confirmed by it: {Confirmed}; writes reconciled: {Reconciled})")]
    private static partial void LogTakeoverDone(ILogger logger, PlacedMember previous, long epoch, TimeSpan elapsed, bool confirmed, int reconciled);

    [LoggerMessage(EventId = LogEvents.GatherUnanswered, Level = LogLevel.Warning, Message = "{Member} did not say which writes it holds unsettled for the takeover at epoch {Epoch}; its keys are served without them")]
    private static partial void LogGatherUnanswered(ILogger logger, PlacedMember member, long epoch);

    private sealed record Takeover(PlacedMember From, PlacementMap Before, PlacementMap After, long Epoch, Task Done)
    {
        /// <summary>Whether this takeover hands <paramref name="key"/> to <paramref name="self"/> (its
        /// requests wait for it, see <see cref="GateFor"/>).</summary>
        public bool Hands(string key, PlacedMember self)
        {
            ulong hash = StableHash.Of(key);
            return After.PrimaryOf(hash) == self && Before.PrimaryOf(hash) == From;
        }
    }
}
