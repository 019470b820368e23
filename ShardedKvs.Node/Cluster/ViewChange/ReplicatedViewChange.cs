using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.ViewChange;

/// <summary>
/// A view change in replicated mode: one decision of the configuration log (<see cref="ConfigChange.ChangeView"/>),
/// after which the fill copies every key to its new replicas while they already receive its writes,
/// and the last source's report switches the placement. Any node can carry a fill to its end, so the
/// change survives the death of the node that received it; this one only waits for the switch to
/// answer with the key counts. Members that are down are simply left out of the new view.
/// </summary>
public sealed class ReplicatedViewChange(ClusterState state, IConfigLog configLog, PeerClient peers, NodeTelemetry telemetry, TimeProvider time, IOptions<NodeOptions> options)
{
    /// <summary>How long the answer waits, at most, for every member to run the switched
    /// configuration and serve the keys it took over (a client's timeout is often 30 s).</summary>
    private static readonly TimeSpan CountingPatience = TimeSpan.FromSeconds(20);

    /// <summary>How long a node the change would add may go without answering before the change is refused.</summary>
    private static readonly TimeSpan ProbePatience = TimeSpan.FromSeconds(10);

    private readonly NodeOptions _options = options.Value;

    public async Task<ViewChangeResult> ChangeAsync(ImmutableArray<string> nodes, CancellationToken cancellationToken)
    {
        long started = time.GetTimestamp();
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change");
        activity?.SetTag("kvs.view", string.Join(',', nodes));
        try
        {
            ViewChangeResult result = await RunAsync(nodes, cancellationToken);
            if (!result.Succeeded)
            {
                activity?.SetStatus(ActivityStatusCode.Error, result.Error);
            }

            return result;
        }
        finally
        {
            telemetry.ViewChangeDuration.Record(time.GetElapsedTime(started).TotalSeconds);
        }
    }

    private async Task<ViewChangeResult> RunAsync(ImmutableArray<string> nodes, CancellationToken cancellationToken)
    {
        if (configLog.Latest is not { } latest || state.Snapshot.Replica is not { IsLive: true })
        {
            return ViewChangeResult.Unavailable("Only a serving member of the current view can change the view");
        }

        if (!latest.IsFilling && IsCurrentView(latest, nodes))
        {
            return ViewChangeResult.Success(await CountKeysAsync(latest, cancellationToken));
        }

        var view = ImmutableArray.CreateBuilder<PlacedMember>(nodes.Length);
        foreach (string node in nodes)
        {
            if (latest.MemberAt(node) is { Excluded: false } known && latest.View.Contains(node, StringComparer.OrdinalIgnoreCase))
            {
                view.Add(known.Placed);
                continue;
            }

            (PeerCallResult call, ViewState? answer) = await AskProposedMemberAsync(node, cancellationToken);
            if (answer?.Incarnation is not { } incarnation)
            {
                string why = call.Error ?? call.Status?.ToString() ?? "no answer";
                return ViewChangeResult.Unavailable(latest.MemberAt(node) is { Excluded: true }
                    // Named again, an excluded member would join as a new, empty one: it must answer.
                    ? $"Node {node} of the new view was excluded from the cluster and is unreachable ({why}): leave it out of the view to remove it, or restart it first; nothing was changed"
                    : $"Node {node} of the new view is unreachable ({why}); nothing was changed", node);
            }

            view.Add(new PlacedMember(node, incarnation));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.MigrationTimeout);
        ProposeResult proposed = await configLog.ProposeAsync(new ConfigChange.ChangeView(view.MoveToImmutable()), timeout.Token);
        if (!proposed.Applied)
        {
            return ViewChangeResult.Conflict(proposed.Refusal ?? "The view change was not decided");
        }

        long decidedAt = proposed.Decided!.Epoch;
        ClusterConfig switched;
        while (true)
        {
            ClusterConfig now = configLog.Latest!;
            if (!now.View.SequenceEqual(proposed.Decided.View, StringComparer.OrdinalIgnoreCase))
            {
                return ViewChangeResult.Conflict($"A newer view change (epoch {now.Epoch}: {string.Join(',', now.View)}) replaced this one");
            }

            if (!now.IsFilling && now.Epoch >= decidedAt)
            {
                switched = now;
                break;
            }

            await Task.Delay(_options.DiscoveryInterval, time, timeout.Token);
        }

        return ViewChangeResult.Success(await CountKeysAsync(switched, timeout.Token));
    }

    /// <summary>
    /// Asks a node the change would add for its incarnation. One that does not answer is asked again
    /// for up to <see cref="ProbePatience"/>: on a lossy network a lost SYN and a lost SYN-ACK outlast
    /// the connect timeout (seen in <c>LossyNetworkTests</c>), and an operator's change should not be
    /// refused for one lost packet. One that refuses the connection has nothing listening: asked once.
    /// </summary>
    private async Task<(PeerCallResult Call, ViewState? Answer)> AskProposedMemberAsync(string node, CancellationToken cancellationToken)
    {
        long deadline = Deadlines.From(time, ProbePatience);
        while (true)
        {
            (PeerCallResult call, ViewState? answer) = await peers.CallProposedMemberAsync(node, PeerRoutes.View, PeerJsonContext.Default.ViewState, cancellationToken);
            if (answer is not null || call.Outcome != PeerCallOutcome.NoAnswer || time.GetTimestamp() >= deadline)
            {
                return (call, answer);
            }

            await Task.Delay(_options.HeartbeatInterval, time, cancellationToken);
        }
    }

    /// <summary>Re-issuing the current view, every member of it live, changes nothing: no new epoch,
    /// just the counts, as in round one.</summary>
    private static bool IsCurrentView(ClusterConfig latest, ImmutableArray<string> nodes) =>
        nodes.Length == latest.View.Length
        && nodes.All(node => latest.View.Contains(node, StringComparer.OrdinalIgnoreCase) && latest.MemberAt(node) is { Excluded: false });

    /// <summary>Each member's primary count, taken once it runs the switched configuration and has
    /// taken over the keys it leads in it, so that every key is served when the change answers. All
    /// members together wait at most <see cref="CountingPatience"/>; after it the counts are as found.
    /// An excluded member counts 0 without being asked.</summary>
    private async Task<IReadOnlyList<KeyCount>> CountKeysAsync(ClusterConfig switched, CancellationToken cancellationToken)
    {
        long deadline = Deadlines.From(time, CountingPatience);
        var shards = new List<KeyCount>(switched.View.Length);
        foreach (string node in switched.View)
        {
            KeyCount? count = null;
            for (int attempt = 0; count is null || count.Epoch < switched.Epoch || count.TakingOver; attempt++)
            {
                if (configLog.Latest?.MemberAt(node) is { Excluded: true })
                {
                    // Dead or cut off, and leads no key: waiting for its count would only hold the answer
                    // (and every member counted after it) until the patience runs out.
                    count = new KeyCount(node, 0);
                    break;
                }

                if (attempt > 0)
                {
                    if (time.GetTimestamp() >= deadline)
                    {
                        break;
                    }

                    await Task.Delay(_options.DiscoveryInterval / 2, time, cancellationToken);
                }

                (_, count) = await peers.CallAsync(node, PeerRoutes.KeyCount, message: null, PeerJsonContext.Default.KeyCount, cancellationToken);
            }

            shards.Add(count ?? new KeyCount(node, 0));
        }

        return shards;
    }
}
