using System.Diagnostics;
using System.Net.Http.Json;
using ShardedKvs.Node.Api;
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

        try
        {
            using HttpResponseMessage response = await peers.GetAsync(coordinator, "/internal/view-change/running", cancellationToken);
            CoordinatorStatus? status = response.IsSuccessStatusCode
                ? await response.Content.ReadFromJsonAsync(NodeJson.Context.CoordinatorStatus, cancellationToken)
                : null;
            return status?.RunningEpoch != snapshot.Pending?.Epoch;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return true;
        }
    }

    /// <summary>
    /// Finishes a stalled change without the nodes that are down: live sources move every key whose
    /// target is alive, keys meant for a dead target stay where they are, and the view is committed
    /// with the dead members' ranges unavailable (503, never a stale answer) until the next change
    /// moves those keys to live owners.
    /// </summary>
    private async Task<ViewChangeResult?> FinishStalledAsync(ClusterView from, ClusterView pending, HashSet<string> lost, CancellationToken cancellationToken)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change.finish_stalled");
        _runningEpoch = pending.Epoch;
        string[] participants = Participants(from, pending);
        PeerCallResult[] probes = await Task.WhenAll(participants.Select(n => CallAsync(n, HttpMethod.Get, "/internal/view", cancellationToken)));
        PeerCallResult? unknown = probes.FirstOrDefault(p => !p.Succeeded && !p.Refused);
        if (unknown is not null)
        {
            return ViewChangeResult.Failure(StatusCodes.Status503ServiceUnavailable, $"A stalled view change to epoch {pending.Epoch} cannot be finished: {unknown.Node} {unknown.Error}", unknown.Node);
        }

        string[] dead = probes.Where(p => p.Refused).Select(p => p.Node).ToArray();
        string[] live = participants.Except(dead, StringComparer.OrdinalIgnoreCase).ToArray();
        LogFinishingStalled(logger, pending.Epoch, string.Join(',', dead));
        var prepare = new PrepareRequest(from.Epoch, from.Text, pending.Epoch, pending.Text) { FromUnavailable = from.Unavailable, Coordinator = state.Snapshot.Self };
        var migrate = new ChangeRef(pending.Epoch, pending.Text) { SkipTargets = dead };
        var commit = new ChangeRef(pending.Epoch, pending.Text) { Unavailable = [.. dead.Where(pending.Contains)] };
        foreach ((string path, object message, IEnumerable<string> nodes) in new (string, object, IEnumerable<string>)[]
        {
            ("/internal/view-change/prepare", prepare, live),
            (MigratePath, migrate, live.Where(from.Contains)),
            ("/internal/view-change/commit", commit, live),
        })
        {
            PeerCallResult[] results = await Task.WhenAll(nodes.Select(n => CallAsync(n, path, message, cancellationToken)));
            if (results.FirstOrDefault(r => !r.Succeeded) is { } failed)
            {
                activity?.SetStatus(ActivityStatusCode.Error, failed.Error);
                return ViewChangeResult.Failure(StatusCodes.Status503ServiceUnavailable, $"A stalled view change to epoch {pending.Epoch} cannot be finished: {failed.Node} {failed.Error}", failed.Node);
            }
        }

        lost.UnionWith(dead);
        return null;
    }
}
