using System.Collections.Immutable;
using ShardedKvs.Node.Api;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.ViewChange.Migration;
using ShardedKvs.Node.Storage;
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
    public IResult Prepare(PrepareRequest request)
    {
        if (!ViewParser.TryParse(request.FromView, out ImmutableArray<string> from, out string? error)
            || !ViewParser.TryParse(request.ToView, out ImmutableArray<string> to, out error))
        {
            return PeerResults.Error(StatusCodes.Status400BadRequest, error);
        }

        PrepareOutcome outcome = state.Prepare(request.FromEpoch, from, request.FromUnavailable, request.ToEpoch, to, request.Coordinator ?? "");
        LogPrepare(logger, request.ToEpoch, outcome);
        return outcome switch
        {
            PrepareOutcome.Conflict => PeerResults.Error(StatusCodes.Status409Conflict, $"a change to epoch {state.Snapshot.Pending?.Epoch} ({state.Snapshot.Pending?.Text}) is pending"),
            PrepareOutcome.Stale => PeerResults.Error(StatusCodes.Status409Conflict, $"already at epoch {state.Snapshot.Current.Epoch}"),
            _ => Results.Ok(),
        };
    }

    public async Task<IResult> MigrateAsync(ChangeRef change, CancellationToken cancellationToken)
    {
        ClusterSnapshot snapshot = state.Snapshot;
        if (snapshot.Current.Epoch >= change.Epoch)
        {
            return Results.Json(new MigrateResult(snapshot.Self, 0, 0, 0), NodeJson.Context.MigrateResult);
        }

        if (snapshot.Pending is not { } pending || pending.Epoch != change.Epoch || pending.Text != change.View)
        {
            return PeerResults.Error(StatusCodes.Status409Conflict, $"not prepared for epoch {change.Epoch}");
        }

        try
        {
            MigrateResult result = await source.MigrateAsync(change.Epoch, change.SkipTargets ?? [], cancellationToken);
            LogMigrated(logger, change.Epoch, result.KeysMoved, result.Batches);
            return Results.Json(result, NodeJson.Context.MigrateResult);
        }
        catch (Migration.MigrationFailedException e)
        {
            return PeerResults.Error(StatusCodes.Status503ServiceUnavailable, e.Message);
        }
    }

    public IResult Commit(ChangeRef change)
    {
        if (!ViewParser.TryParse(change.View, out ImmutableArray<string> nodes, out string? error))
        {
            return PeerResults.Error(StatusCodes.Status400BadRequest, error);
        }

        if (state.TryAdopt(change.Epoch, nodes, change.Unavailable))
        {
            target.ForgetBefore(change.Epoch);
            LogCommitted(logger, change.Epoch, state.Snapshot.Status, store.Count);
        }

        return Results.Ok();
    }

    public IResult Abort(ChangeRef change)
    {
        if (state.Snapshot.Pending is { } pending && pending.Epoch == change.Epoch && pending.Text == change.View)
        {
            state.Abort(change.Epoch);
        }

        return Results.Ok();
    }

    public ViewState DescribeView()
    {
        ClusterSnapshot s = state.Snapshot;
        return new ViewState(s.IsFormed, s.Current.Epoch, s.Current.Text, s.Pending?.Epoch, s.Pending?.Text)
        {
            Unavailable = s.Current.Unavailable.IsEmpty ? null : s.Current.Unavailable,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Prepare for epoch {Epoch}: {Outcome}")]
    private static partial void LogPrepare(ILogger logger, long epoch, PrepareOutcome outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Migrated for epoch {Epoch}: {Keys} keys in {Batches} batches")]
    private static partial void LogMigrated(ILogger logger, long epoch, long keys, int batches);

    [LoggerMessage(Level = LogLevel.Information, Message = "Committed epoch {Epoch}: now {Status}, holding {Keys} keys")]
    private static partial void LogCommitted(ILogger logger, long epoch, NodeStatus status, int keys);
}
