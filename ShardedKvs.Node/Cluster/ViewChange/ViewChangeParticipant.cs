using System.Collections.Immutable;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.ViewChange.Migration;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.ViewChange;

/// <summary>This node's side of a view change and of formation, as asked by a coordinator.</summary>
public sealed partial class ViewChangeParticipant(
    ClusterState state,
    KeyValueStore store,
    KeySource source,
    KeyTarget target,
    ILogger<ViewChangeParticipant> logger)
{
    public StepOutcome Prepare(PrepareRequest request)
    {
        if (!ViewParser.TryParse(request.FromView, out ImmutableArray<string> from, out string? error)
            || !ViewParser.TryParse(request.ToView, out ImmutableArray<string> to, out error))
        {
            return StepOutcome.Invalid(error);
        }

        PrepareOutcome outcome = state.Prepare(request.FromEpoch, from, request.FromUnavailable, request.ToEpoch, to, request.Coordinator ?? "");
        LogPrepare(logger, request.ToEpoch, outcome);
        return outcome switch
        {
            PrepareOutcome.Conflict => StepOutcome.Conflict($"a change to epoch {state.Snapshot.Pending?.Epoch} ({state.Snapshot.Pending?.Text}) is pending"),
            PrepareOutcome.Stale => StepOutcome.Conflict($"already at epoch {state.Snapshot.Current.Epoch}"),
            _ => StepOutcome.Done,
        };
    }

    public async Task<StepOutcome> MigrateAsync(ChangeRef change, CancellationToken cancellationToken)
    {
        ClusterSnapshot snapshot = state.Snapshot;
        if (snapshot.Current.Epoch >= change.Epoch)
        {
            return StepOutcome.Done with { Migrated = new MigrateResult(snapshot.Self, 0, 0, 0) };
        }

        if (snapshot.Pending is not { } pending || pending.Epoch != change.Epoch || pending.Text != change.View)
        {
            return StepOutcome.Conflict($"not prepared for epoch {change.Epoch}");
        }

        try
        {
            MigrateResult result = await source.MigrateAsync(change.Epoch, change.SkipTargets ?? [], cancellationToken);
            LogMigrated(logger, change.Epoch, result.KeysMoved, result.Batches);
            return StepOutcome.Done with { Migrated = result };
        }
        catch (MigrationFailedException e)
        {
            return StepOutcome.Unavailable(e.Message);
        }
    }

    public StepOutcome Commit(ChangeRef change)
    {
        if (!ViewParser.TryParse(change.View, out ImmutableArray<string> nodes, out string? error))
        {
            return StepOutcome.Invalid(error);
        }

        if (state.TryAdopt(change.Epoch, nodes, change.Unavailable))
        {
            target.ForgetBefore(change.Epoch);
            LogCommitted(logger, change.Epoch, state.Snapshot.Status, store.Count);
        }

        return StepOutcome.Done;
    }

    public StepOutcome Abort(ChangeRef change)
    {
        if (state.Snapshot.Pending is { } pending && pending.Epoch == change.Epoch && pending.Text == change.View)
        {
            state.Abort(change.Epoch);
        }

        return StepOutcome.Done;
    }

    public ViewState DescribeView()
    {
        ClusterSnapshot s = state.Snapshot;
        return new ViewState(s.IsFormed, s.Current.Epoch, s.Current.Text, s.Pending?.Epoch, s.Pending?.Text)
        {
            Unavailable = s.Current.Unavailable.IsEmpty ? null : s.Current.Unavailable,
        };
    }

    [LoggerMessage(EventId = LogEvents.ParticipantPrepare, Level = LogLevel.Information, Message = "Prepare for epoch {Epoch}: {Outcome}")]
    private static partial void LogPrepare(ILogger logger, long epoch, PrepareOutcome outcome);

    [LoggerMessage(EventId = LogEvents.ParticipantMigrated, Level = LogLevel.Information, Message = "Migrated for epoch {Epoch}: {Keys} keys in {Batches} batches")]
    private static partial void LogMigrated(ILogger logger, long epoch, long keys, int batches);

    [LoggerMessage(EventId = LogEvents.ParticipantCommitted, Level = LogLevel.Information, Message = "Committed epoch {Epoch}: now {Status}, holding {Keys} keys")]
    private static partial void LogCommitted(ILogger logger, long epoch, NodeStatus status, int keys);
}
