using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Formation;

/// <summary>
/// Brings the node into the cluster. First it asks its peers whether a cluster is already running
/// (a restarted node must not trust its stale VIEW); if none is, the first address of VIEW waits
/// until every other member has registered and then commits epoch 1 on all of them.
/// </summary>
public sealed partial class FormationService(
    ClusterState state,
    FormationRegistry registry,
    PeerClient peers,
    NodeIdentity identity,
    IConfigLog configLog,
    TimeProvider time,
    IOptions<NodeOptions> options,
    ILogger<FormationService> logger) : BackgroundService
{
    private readonly NodeOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ClusterView initial = state.Snapshot.Current;
        string self = state.Snapshot.Self;
        bool coordinates = string.Equals(initial.Nodes[0], self, StringComparison.OrdinalIgnoreCase);
        LogStarting(logger, self, initial.Text, coordinates);
        if (_options.IsReplicated)
        {
            await FormReplicatedAsync(initial, self, coordinates, stoppingToken);
            return;
        }

        while (!stoppingToken.IsCancellationRequested && !state.Snapshot.IsFormed)
        {
            if (await TryAdoptRunningClusterAsync(initial, self, stoppingToken))
            {
                break;
            }

            if (coordinates)
            {
                await TryCompleteFormationAsync(initial, self, stoppingToken);
            }
            else if (initial.Contains(self))
            {
                await RegisterAsync(initial.Nodes[0], stoppingToken);
            }

            if (!state.Snapshot.IsFormed)
            {
                await Task.Delay(_options.DiscoveryInterval, time, stoppingToken);
            }
        }

        ClusterSnapshot snapshot = state.Snapshot;
        LogFormed(logger, snapshot.Current.Epoch, snapshot.Current.Text, snapshot.Status);
    }

    /// <summary>Replicated mode: the same registration, but the coordinator decides epoch 1 of the
    /// configuration log, placing every member in the incarnation it registered with; the others
    /// learn it by catching up with the log (which also finds a running cluster after a restart).</summary>
    private async Task FormReplicatedAsync(ClusterView initial, string self, bool coordinates, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested && configLog.Latest is null)
        {
            await configLog.CatchUpAsync(stoppingToken);
            if (configLog.Latest is not null)
            {
                break;
            }

            if (coordinates)
            {
                if (initial.Nodes.All(n => string.Equals(n, self, StringComparison.OrdinalIgnoreCase) || registry.HasJoined(n)))
                {
                    configLog.Learn(ConfigTransitions.Form(
                        [.. initial.Nodes.Select(n => string.Equals(n, self, StringComparison.OrdinalIgnoreCase) ? identity.Self : new PlacedMember(n, registry.IncarnationOf(n)))],
                        _options.ReplicationFactor));
                    break;
                }
            }
            else if (initial.Contains(self))
            {
                await RegisterAsync(initial.Nodes[0], stoppingToken);
            }

            await Task.Delay(_options.DiscoveryInterval, time, stoppingToken);
        }

        ClusterSnapshot snapshot = state.Snapshot;
        LogFormed(logger, snapshot.Current.Epoch, snapshot.Current.Text, snapshot.Status);
    }

    private async Task<bool> TryAdoptRunningClusterAsync(ClusterView initial, string self, CancellationToken cancellationToken)
    {
        IEnumerable<Task<ViewState?>> asks = initial.Nodes
            .Where(n => !string.Equals(n, self, StringComparison.OrdinalIgnoreCase))
            .Select(n => AskViewAsync(n, cancellationToken));
        ViewState? newest = (await Task.WhenAll(asks))
            .Where(v => v is { Formed: true })
            .MaxBy(v => v!.Epoch);
        if (newest is null || !ShardedKvs.Ring.ViewParser.TryParse(newest.View, out var nodes, out _))
        {
            return false;
        }

        state.TryAdopt(newest.Epoch, nodes, newest.Unavailable);
        return true;
    }

    private async Task TryCompleteFormationAsync(ClusterView initial, string self, CancellationToken cancellationToken)
    {
        if (!initial.Nodes.All(n => string.Equals(n, self, StringComparison.OrdinalIgnoreCase) || registry.HasJoined(n)))
        {
            return;
        }

        var commit = new ChangeRef(1, initial.Text);
        foreach (string node in initial.Nodes.Where(n => !string.Equals(n, self, StringComparison.OrdinalIgnoreCase)))
        {
            if (!(await peers.CallAsync(node, PeerRoutes.Commit, commit, cancellationToken)).Succeeded)
            {
                return;
            }
        }

        state.TryAdopt(1, initial.Nodes);
    }

    private async Task RegisterAsync(string coordinator, CancellationToken cancellationToken)
    {
        PeerCallResult joined = await peers.CallAsync(coordinator, PeerRoutes.Join, new JoinRequest(state.Snapshot.Self, identity.Incarnation), cancellationToken);
        if (joined.Outcome != PeerCallOutcome.Answered)
        {
            LogCoordinatorUnreachable(logger, coordinator);
        }
    }

    private async Task<ViewState?> AskViewAsync(string node, CancellationToken cancellationToken) =>
        (await peers.CallAsync(node, PeerRoutes.View, message: null, PeerJsonContext.Default.ViewState, cancellationToken)).Answer;

    [LoggerMessage(EventId = LogEvents.FormationStarting, Level = LogLevel.Information, Message = "Node {Self} starting with view {View} (coordinates formation: {Coordinates})")]
    private static partial void LogStarting(ILogger logger, string self, string view, bool coordinates);

    [LoggerMessage(EventId = LogEvents.FormationFormed, Level = LogLevel.Information, Message = "Cluster formed at epoch {Epoch}: {View}; this node is {Status}")]
    private static partial void LogFormed(ILogger logger, long epoch, string view, NodeStatus status);

    [LoggerMessage(EventId = LogEvents.FormationCoordinatorUnreachable, Level = LogLevel.Debug, Message = "Formation coordinator {Coordinator} is not reachable yet")]
    private static partial void LogCoordinatorUnreachable(ILogger logger, string coordinator);
}
