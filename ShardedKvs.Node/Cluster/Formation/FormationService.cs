using Microsoft.Extensions.Options;
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
        PeerCallResult joined = await peers.CallAsync(coordinator, PeerRoutes.Join, new JoinRequest(state.Snapshot.Self), cancellationToken);
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
