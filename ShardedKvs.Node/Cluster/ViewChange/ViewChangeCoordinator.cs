using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.ViewChange;

/// <summary>
/// Runs a view change from the node that received it: prepare every node of the old and new
/// view, let every old node move the keys it loses, commit everywhere, then report key counts.
/// Every step is idempotent, so re-issuing a change that failed midway finishes it.
/// </summary>
/// <remarks>
/// Concurrency: <c>_running</c> admits one change at a time on this node (a second one gets a
/// conflict at once). <c>_runningEpoch</c> is written by the running change and read by the internal
/// API from any thread, through <see cref="Volatile"/>.
/// </remarks>
public sealed partial class ViewChangeCoordinator(
    ClusterState state,
    PeerClient peers,
    NodeTelemetry telemetry,
    TimeProvider time,
    ILogger<ViewChangeCoordinator> logger) : IDisposable
{
    private const int ControlAttempts = 5;
    private readonly SemaphoreSlim _running = new(1, 1);
    private long _runningEpoch;

    /// <summary>The change this node is coordinating right now, for a node deciding whether a pending change is stalled.</summary>
    public long? RunningEpoch => Volatile.Read(ref _runningEpoch) is var epoch and not 0 ? epoch : null;

    public async Task<ViewChangeResult> ChangeAsync(ImmutableArray<string> nodes, CancellationToken cancellationToken)
    {
        if (!await _running.WaitAsync(0, cancellationToken))
        {
            return ViewChangeResult.Conflict("Another view change is running on this node");
        }

        long started = time.GetTimestamp();
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change");
        try
        {
            ViewChangeResult result = await RunAsync(nodes, activity, cancellationToken);
            if (!result.Succeeded)
            {
                activity?.SetStatus(ActivityStatusCode.Error, result.Error);
            }

            return result;
        }
        finally
        {
            telemetry.ViewChangeDuration.Record(time.GetElapsedTime(started).TotalSeconds);
            Volatile.Write(ref _runningEpoch, 0);
            _running.Release();
        }
    }

    private async Task<ViewChangeResult> RunAsync(ImmutableArray<string> nodes, Activity? activity, CancellationToken cancellationToken)
    {
        ClusterSnapshot snapshot = state.Snapshot;
        if (!snapshot.IsFormed || snapshot.CurrentSelfIndex < 0)
        {
            return ViewChangeResult.Unavailable("Only a serving member of the current view can change the view");
        }

        ClusterView from = snapshot.Current;
        var lost = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (snapshot.Pending is { } pending)
        {
            if (pending.SameMembersAs(nodes))
            {
                return await ExecuteAsync(ChangePlan.Resume(from, pending), lost, activity, cancellationToken);
            }

            if (!await IsStalledAsync(snapshot, cancellationToken))
            {
                return ViewChangeResult.Conflict($"A view change to epoch {pending.Epoch} ({pending.Text}) is under way");
            }

            ViewChangeResult? unfinished = await FinishStalledAsync(from, pending, lost, cancellationToken);
            if (unfinished is not null)
            {
                return unfinished;
            }

            from = state.Snapshot.Current;
        }

        if (from.SameMembersAs(nodes) && from.Unavailable.IsEmpty)
        {
            return WithLost(await CountKeysAsync(from, cancellationToken), lost);
        }

        return await ExecuteAsync(ChangePlan.Fresh(from, state.CreateView(from.Epoch + 1, nodes)), lost, activity, cancellationToken);
    }

    /// <summary>Prepare, migrate, commit, then count the keys of the new view.</summary>
    private async Task<ViewChangeResult> ExecuteAsync(ChangePlan plan, HashSet<string> lost, Activity? activity, CancellationToken cancellationToken)
    {
        ViewChangeResult? failure = await RunStepsAsync(plan, lost, activity, cancellationToken);
        return failure ?? WithLost(await CountKeysAsync(plan.To, cancellationToken), lost);
    }

    /// <summary>Prepare, migrate, commit: the steps of every change, a fresh one, a resumed one or a
    /// stalled one taken over. A fresh change that cannot be prepared is aborted (nothing moved
    /// yet); any other is left pending, since keys may already have moved. Null when committed.</summary>
    private async Task<ViewChangeResult?> RunStepsAsync(ChangePlan plan, HashSet<string> lost, Activity? activity, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _runningEpoch, plan.To.Epoch);
        activity?.SetTag("kvs.view.from", plan.From.Text);
        activity?.SetTag("kvs.view.to", plan.To.Text);
        activity?.SetTag("kvs.epoch", plan.To.Epoch);
        ViewDiff diff = ViewDiff.Between(plan.From.Nodes, plan.To.Nodes);
        LogStarting(logger, plan.From.Epoch, plan.To.Epoch, diff.Added.Length, diff.Removed.Length);
        return await PrepareAsync(plan, lost, cancellationToken)
            ?? await MigrateAsync(plan, lost, cancellationToken)
            ?? await CommitAsync(plan, lost, cancellationToken);
    }

    private static ViewChangeResult WithLost(ViewChangeResult result, HashSet<string> lost) =>
        lost.Count == 0 || !result.Succeeded ? result : result with { LostNodes = [.. lost.Order(StringComparer.Ordinal)] };

    private static bool IsGone(PeerCallResult result, ClusterView to) => result.Refused && !to.Contains(result.Node);

    /// <summary>A node that leaves the view and whose port refuses connections is down for good: the
    /// change goes on without it and reports its keys lost. Any other failure stops the change.</summary>
    private static PeerCallResult? FirstFailure(IReadOnlyCollection<PeerCallResult> results, ClusterView to, HashSet<string> lost)
    {
        lost.UnionWith(results.Where(r => IsGone(r, to)).Select(r => r.Node));
        return results.FirstOrDefault(r => !r.Succeeded && !lost.Contains(r.Node));
    }

    private async Task<ViewChangeResult?> PrepareAsync(ChangePlan plan, HashSet<string> lost, CancellationToken cancellationToken)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change.prepare");
        (ClusterView from, ClusterView to) = (plan.From, plan.To);
        var request = new PrepareRequest(from.Epoch, from.Text, to.Epoch, to.Text)
        {
            FromUnavailable = from.Unavailable.IsEmpty ? null : from.Unavailable,
            Coordinator = state.Snapshot.Self,
        };
        string[] participants = plan.Participants();

        // The lowest address of the old view is prepared first and alone: of two concurrent changes,
        // the one that prepares it wins and the other stops there, having prepared nothing. Then the
        // rest of the old view, and only then the joining nodes, so that when a joiner starts
        // forwarding requests every old member already knows it.
        string[] members = participants.Where(from.Contains).ToArray();
        string[] joiners = participants.Where(n => !from.Contains(n)).ToArray();
        var results = new List<PeerCallResult>();
        foreach (string[] wave in new[] { members[..Math.Min(1, members.Length)], members[Math.Min(1, members.Length)..], joiners })
        {
            if (results.Any(r => !r.Succeeded && !IsGone(r, to)))
            {
                break;
            }

            results.AddRange(await Task.WhenAll(wave.Select(n => CallAsync(n, PeerRoutes.Prepare, request, cancellationToken))));
        }

        PeerCallResult? failed = FirstFailure(results, to, lost);
        if (failed is null)
        {
            LogPrepared(logger, to.Epoch, results.Count - lost.Count);
            return null;
        }

        activity?.SetStatus(ActivityStatusCode.Error, failed.Error);
        if (!plan.AbortOnFailure)
        {
            return ViewChangeResult.Unavailable(
                $"Node {failed.Node} could not be prepared ({failed.Error}); the change stays pending: re-issue it once {failed.Node} is back, or issue a view without it",
                failed.Node);
        }

        var change = new ChangeRef(to.Epoch, to.Text);
        await Task.WhenAll(results.Where(r => r.Succeeded).Select(r => CallAsync(r.Node, PeerRoutes.Abort, change, CancellationToken.None)));
        LogAborted(logger, to.Epoch, failed.Node, failed.Error ?? "");
        return failed.Status == HttpStatusCode.Conflict
            ? ViewChangeResult.Conflict($"Node {failed.Node} is in another view change: {failed.Error}", failed.Node)
            : ViewChangeResult.Unavailable($"Node {failed.Node} could not be prepared ({failed.Error}); nothing was moved", failed.Node);
    }

    private async Task<ViewChangeResult?> MigrateAsync(ChangePlan plan, HashSet<string> lost, CancellationToken cancellationToken)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change.migrate");
        var change = new ChangeRef(plan.To.Epoch, plan.To.Text) { SkipTargets = plan.Dead.IsEmpty ? null : plan.Dead };
        PeerCallResult[] results = await Task.WhenAll(plan.Sources().Where(n => !lost.Contains(n)).Select(n => CallAsync(n, PeerRoutes.Migrate, change, cancellationToken)));
        PeerCallResult? failed = FirstFailure(results, plan.To, lost);
        if (failed is null)
        {
            LogMigrated(logger, change.Epoch, results.Length - lost.Count);
            return null;
        }

        activity?.SetStatus(ActivityStatusCode.Error, failed.Error);
        LogMigrationFailed(logger, change.Epoch, failed.Node, failed.Error ?? "");
        return ViewChangeResult.Unavailable(
            $"Moving keys from {failed.Node} failed ({failed.Error}); no acknowledged key was lost. Re-issue the same view change to finish it, or, if a node is down for good, a view without it",
            failed.Node);
    }

    private async Task<ViewChangeResult?> CommitAsync(ChangePlan plan, HashSet<string> lost, CancellationToken cancellationToken)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change.commit");
        ClusterView to = plan.To;
        ImmutableArray<string> unavailable = [.. plan.Dead.Where(to.Contains)];
        var change = new ChangeRef(to.Epoch, to.Text) { Unavailable = unavailable.IsEmpty ? null : unavailable };
        PeerCallResult[] results = await Task.WhenAll(plan.Participants().Where(n => !lost.Contains(n)).Select(n => CallAsync(n, PeerRoutes.Commit, change, cancellationToken)));
        if (results.All(r => r.Succeeded))
        {
            LogCommitted(logger, to.Epoch, to.Text);
            return null;
        }

        PeerCallResult failed = results.First(r => !r.Succeeded);
        activity?.SetStatus(ActivityStatusCode.Error, failed.Error);
        return ViewChangeResult.Unavailable(
            $"Committed epoch {to.Epoch}, but {failed.Node} did not acknowledge ({failed.Error}); it will learn the view from its peers",
            failed.Node);
    }

    private async Task<ViewChangeResult> CountKeysAsync(ClusterView view, CancellationToken cancellationToken)
    {
        var shards = new List<KeyCount>(view.Nodes.Length);
        foreach (string node in view.Nodes)
        {
            (PeerCallResult call, KeyCount? count) = await peers.CallAsync(node, PeerRoutes.KeyCount, message: null, PeerJsonContext.Default.KeyCount, cancellationToken);
            if (count is null)
            {
                return ViewChangeResult.Unavailable(
                    call.Outcome == PeerCallOutcome.Answered ? $"Node {node} did not report its key count" : $"Node {node} is unreachable",
                    node);
            }

            shards.Add(count);
        }

        return ViewChangeResult.Success(shards);
    }

    /// <summary>Every control step is idempotent, so a call that got no answer (lost on the way, or its
    /// answer lost) is sent again a few times; a refused connection or an answer is final.</summary>
    private async Task<PeerCallResult> CallAsync(string node, PeerRoute route, object? message, CancellationToken cancellationToken)
    {
        PeerCallResult result = await peers.CallAsync(node, route, message, cancellationToken);
        for (int attempt = 2; attempt <= ControlAttempts && result.Outcome == PeerCallOutcome.NoAnswer; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), time, cancellationToken);
            result = await peers.CallAsync(node, route, message, cancellationToken);
        }

        return result;
    }

    public void Dispose() => _running.Dispose();
}
