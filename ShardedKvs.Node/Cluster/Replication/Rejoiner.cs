using System.Diagnostics;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// A process whose address is in the view but whose incarnation the configuration does not name (it
/// restarted, empty) asks to rejoin, by itself: the decision replaces its old incarnation, which
/// counts nowhere from then on, and a fill brings it the keys it should hold. It is never a source
/// of data before it has been filled. A process the cluster excluded while it was cut off (partitioned,
/// or paused too long) does the same once it hears of it: it empties its store and becomes a new
/// incarnation, exactly as if it had restarted.
/// </summary>
public sealed partial class Rejoiner(ClusterState state, NodeIdentity identity, IConfigLog configLog, KeyValueStore store, UncertainWrites uncertain, TimeProvider time, IOptions<NodeOptions> options, ILogger<Rejoiner> logger) : BackgroundService
{
    private readonly NodeOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            if (state.Snapshot.Replica is { Status: NodeStatus.Excluded } excluded)
            {
                LogStartingOver(logger, excluded.Self, excluded.Epoch);
                store.Clear();
                uncertain.Clear();
                state.Reincarnate(identity.Renew());
            }

            if (state.Snapshot.Replica is { Status: NodeStatus.Joining } replica)
            {
                LogRejoining(logger, identity.Self, replica.Epoch);
                // The root of the rejoin's trace: the fill that brings this node its keys joins it.
                using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.rejoin");
                activity?.SetTag("kvs.member", identity.Self.ToString());
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(_options.ControlTimeout);
                try
                {
                    await configLog.ProposeAsync(new ConfigChange.Rejoin(identity.Self), timeout.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // No majority answered in time; try again.
                }
            }

            await Task.Delay(_options.DiscoveryInterval, time, stoppingToken);
        }
    }

    [LoggerMessage(EventId = LogEvents.ExcludedStartingOver, Level = LogLevel.Warning, Message = "{Self} was excluded at epoch {Epoch} while cut off: emptying its store and rejoining as a new incarnation")]
    private static partial void LogStartingOver(ILogger logger, PlacedMember self, long epoch);

    [LoggerMessage(EventId = LogEvents.RejoinProposed, Level = LogLevel.Information, Message = "Asking to rejoin as {Self} (configuration epoch {Epoch} names another incarnation of this address)")]
    private static partial void LogRejoining(ILogger logger, PlacedMember self, long epoch);
}
