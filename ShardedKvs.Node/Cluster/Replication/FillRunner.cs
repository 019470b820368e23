using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// This node's part in fills. As a source (an in-sync placed member) of a fill it has not reported,
/// it waits until no write begun under an older configuration can still be applied without reaching
/// the learners (the stripes' barrier), copies the keys it is primary for, and reports; the last
/// report switches the placement. After a switch it drops the keys it no longer holds. A newer fill
/// (members changed again) cancels the copy under way and starts over. One copy at a time, tracked
/// under a lock; the copy itself runs outside it. Before a fill it drops leftovers of keys it will
/// learn. Either walk is left out when <see cref="StrayCopyWatch"/> knows it would find nothing.
/// </summary>
public sealed partial class FillRunner(
    ClusterState state,
    KeysInFlight inFlight,
    IConfigLog configLog,
    IFillWork work,
    StrayCopyWatch strays,
    IOptions<NodeOptions> options,
    ILogger<FillRunner> logger) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly NodeOptions _options = options.Value;
    private long _copyingFor;
    private CancellationTokenSource? _copying;
    private ImmutableArray<PlacedMember> _placedBefore;

    /// <summary>A fill is about to start: what this node holds of keys it will learn goes first.</summary>
    public void BeforeFill(ClusterConfig filling, PlacedMember self)
    {
        if (strays.HasNoLeftovers(state.Snapshot.Replica?.Config, filling, self))
        {
            return;
        }

        int dropped = work.DropLeftovers(new PlacementMap(filling, options.Value.TokensPerNode), self);
        if (dropped > 0)
        {
            LogLeftovers(logger, dropped, filling.FillEpoch);
        }
    }

    public void OnAdopted(ReplicaState replica)
    {
        ClusterConfig config = replica.Config;
        strays.Adopted(config, replica.Self, work.StoreIsEmpty);
        lock (_gate)
        {
            bool switched = !_placedBefore.IsDefault && !ClusterConfig.SameMembers(_placedBefore, config.Placement);
            _placedBefore = config.Placement;
            if (!config.IsFilling)
            {
                StopCopying();
                work.EndFill();
                if (switched)
                {
                    if (strays.HoldsOnlyInSyncCopies(config))
                    {
                        LogCleanupSkipped(logger, replica.Epoch);
                    }
                    else
                    {
                        _ = StoreWalk.RunInBackgroundAsync(() => Cleanup(replica));
                    }
                }

                return;
            }

            bool mustCopy = config.Sources.Contains(replica.Self) && !config.Filled.Contains(replica.Self);
            if (!mustCopy || _copyingFor == config.FillEpoch)
            {
                if (!mustCopy)
                {
                    StopCopying();
                }

                return;
            }

            StopCopying();
            _copyingFor = config.FillEpoch;
            _copying = new CancellationTokenSource();
            _ = CopyAndReportAsync(replica, _copying.Token);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            StopCopying();
        }
    }

    private void StopCopying()
    {
        _copying?.Cancel();
        _copying?.Dispose();
        _copying = null;
        _copyingFor = 0;
    }

    private async Task CopyAndReportAsync(ReplicaState replica, CancellationToken cancellationToken)
    {
        await Task.Yield();
        // Joins the trace of the decision that started the fill (an exclusion, a rejoin, a view change).
        using Activity? activity = NodeTelemetry.StartFromDecision("kvs.fill.source", replica.Config);
        activity?.SetTag("kvs.fill_epoch", replica.Config.FillEpoch);
        activity?.SetTag("kvs.source", replica.Self.ToString());
        LogFillStarted(logger, replica.Config.FillEpoch, replica.Config);
        try
        {
            // After a failover that left every key writable, the requests held while the failure was being
            // detected go first. When a key is below the replicas a write needs, only the switch at the end
            // of the fill makes it writable again: no waiting then.
            if (replica.Config.RestoresLostCopies && replica.Config.EveryKeyWritable(_options.MinInSync) && _options.FillDelayAfterFailover > TimeSpan.Zero)
            {
                activity?.SetTag("kvs.fill.held_back_ms", _options.FillDelayAfterFailover.TotalMilliseconds);
                await Task.Delay(_options.FillDelayAfterFailover, cancellationToken);
            }

            inFlight.Barrier();
            while (!await work.CopyToLearnersAsync(replica.Map, replica.Self, cancellationToken))
            {
                // A learner is down: it will be excluded (which starts a new fill and cancels this
                // one) or come back; copying again is harmless.
                await Task.Delay(_options.DiscoveryInterval * 4, cancellationToken);
            }

            ProposeResult reported = await configLog.ProposeAsync(new ConfigChange.ReportFilled(replica.Self, replica.Config.FillEpoch), cancellationToken);
            LogFillReported(logger, replica.Config.FillEpoch, reported.Applied, reported.Refusal);
        }
        catch (OperationCanceledException)
        {
            // A newer fill replaced this one.
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            LogFillFailed(logger, replica.Config.FillEpoch, e);
            lock (_gate)
            {
                if (_copyingFor == replica.Config.FillEpoch)
                {
                    _copyingFor = 0; // the next adopted configuration tries again
                }
            }
        }
    }

    private void Cleanup(ReplicaState replica)
    {
        int dropped = work.DropKeysNotHeld(replica.Map, replica.Self, () => state.Snapshot.Replica?.Map == replica.Map);
        if (state.Snapshot.Replica?.Map == replica.Map)
        {
            strays.CleanupFinished(replica.Config, replica.Self);
        }

        LogCleanup(logger, dropped, replica.Epoch);
    }

    [LoggerMessage(EventId = LogEvents.FillStarted, Level = LogLevel.Information, Message = "Copying keys to learners for the fill of epoch {FillEpoch} ({Config})")]
    private static partial void LogFillStarted(ILogger logger, long fillEpoch, ClusterConfig config);

    [LoggerMessage(EventId = LogEvents.FillReported, Level = LogLevel.Information, Message = "Reported the fill of epoch {FillEpoch} done (decided: {Applied}; {Refusal})")]
    private static partial void LogFillReported(ILogger logger, long fillEpoch, bool applied, string? refusal);

    [LoggerMessage(EventId = LogEvents.FillFailed, Level = LogLevel.Warning, Message = "The fill of epoch {FillEpoch} failed here")]
    private static partial void LogFillFailed(ILogger logger, long fillEpoch, Exception exception);

    [LoggerMessage(EventId = LogEvents.FillLeftoversDropped, Level = LogLevel.Information, Message = "Dropped {Dropped} leftover copies of keys this node learns in the fill of epoch {FillEpoch}")]
    private static partial void LogLeftovers(ILogger logger, int dropped, long fillEpoch);

    [LoggerMessage(EventId = LogEvents.ReplicaCleanupSkipped, Level = LogLevel.Information, Message = "No copy to drop at epoch {Epoch}: the switch only took members out of the rings this node held keys of")]
    private static partial void LogCleanupSkipped(ILogger logger, long epoch);

    [LoggerMessage(EventId = LogEvents.ReplicaCleanupDone, Level = LogLevel.Information, Message = "Dropped {Dropped} keys this node no longer holds a copy of at epoch {Epoch}")]
    private static partial void LogCleanup(ILogger logger, int dropped, long epoch);
}
