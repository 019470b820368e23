using System.Collections.Immutable;
using System.Diagnostics;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.ViewChange;

/// <summary>Taking over a view change whose coordinator is down or gave up on it.</summary>
public sealed partial class ViewChangeCoordinator
{
    /// <summary>A pending change is stalled when its coordinator is down or no longer runs it (it failed).</summary>
    private async Task<bool> IsStalledAsync(ClusterSnapshot snapshot, CancellationToken cancellationToken)
    {
        string? coordinator = snapshot.PendingCoordinator;
        if (string.IsNullOrEmpty(coordinator) || string.Equals(coordinator, snapshot.Self, StringComparison.OrdinalIgnoreCase))
        {
            return true; // this node holds the coordinator lock for the new request, so it runs nothing else
        }

        (PeerCallResult _, CoordinatorStatus? status) = await peers.CallAsync(coordinator, PeerRoutes.Running, message: null, PeerJsonContext.Default.CoordinatorStatus, cancellationToken);
        return status?.RunningEpoch != snapshot.Pending?.Epoch;
    }

    /// <summary>
    /// Finishes a stalled change without the nodes that are down, through the same prepare, migrate
    /// and commit steps as any change: live sources move every key whose target is alive, keys meant
    /// for a dead target stay where they are, and the view is committed with the dead members' ranges
    /// unavailable (503, never a stale answer) until the next change moves those keys to live owners.
    /// </summary>
    private async Task<ViewChangeResult?> FinishStalledAsync(ClusterView from, ClusterView pending, HashSet<string> lost, CancellationToken cancellationToken)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change.finish_stalled");
        Volatile.Write(ref _runningEpoch, pending.Epoch);
        string[] participants = ChangePlan.Resume(from, pending).Participants();
        PeerCallResult[] probes = await Task.WhenAll(participants.Select(n => CallAsync(n, PeerRoutes.View, message: null, cancellationToken)));
        PeerCallResult? unknown = probes.FirstOrDefault(p => !p.Succeeded && !p.Refused);
        if (unknown is not null)
        {
            return ViewChangeResult.Unavailable($"A stalled view change to epoch {pending.Epoch} cannot be finished: {unknown.Node} {unknown.Error}", unknown.Node);
        }

        ImmutableArray<string> dead = [.. probes.Where(p => p.Refused).Select(p => p.Node)];
        LogFinishingStalled(logger, pending.Epoch, string.Join(',', dead));
        ViewChangeResult? failure = await RunStepsAsync(ChangePlan.TakeOver(from, pending, dead), lost, activity, cancellationToken);
        if (failure is not null)
        {
            return failure;
        }

        lost.UnionWith(dead);
        return null;
    }
}
