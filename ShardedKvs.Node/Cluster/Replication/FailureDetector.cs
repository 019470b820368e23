using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// Turns silence into exclusion, without an operator. A live member that has not heard from a voter
/// for <see cref="NodeOptions.SuspectAfter"/> asks the other voters whether they suspect it too, and
/// proposes <see cref="ConfigChange.Exclude"/> only when a majority of the voters (itself included)
/// does: one node with a bad link cannot evict a healthy peer, and a node cut off from the majority
/// cannot gather one. Each failover is one trace: suspicion, the majority check, the decision.
/// </summary>
public sealed partial class FailureDetector(
    ClusterState state,
    PeerLiveness liveness,
    PeerClient peers,
    IConfigLog configLog,
    TimeProvider time,
    IOptions<NodeOptions> options,
    ILogger<FailureDetector> logger) : BackgroundService
{
    private readonly NodeOptions _options = options.Value;
    private readonly ConcurrentDictionary<PlacedMember, Task> _excluding = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan stood = liveness.Tick(_options.HeartbeatInterval);
            if (stood > TimeSpan.Zero)
            {
                LogStoodStill(logger, stood.TotalMilliseconds);
            }

            if (state.Snapshot.Replica is { IsLive: true } replica)
            {
                foreach (PlacedMember voter in replica.Config.Voters)
                {
                    if (voter != replica.Self && liveness.IsSuspected(voter) && !_excluding.ContainsKey(voter))
                    {
                        _excluding[voter] = ExcludeIfMajoritySuspectsAsync(voter, replica.Config, stoppingToken);
                    }
                }
            }

            foreach (KeyValuePair<PlacedMember, Task> running in _excluding)
            {
                if (running.Value.IsCompleted)
                {
                    _excluding.TryRemove(running);
                }
            }

            await Task.Delay(_options.HeartbeatInterval, time, stoppingToken);
        }
    }

    private async Task ExcludeIfMajoritySuspectsAsync(PlacedMember suspect, ClusterConfig config, CancellationToken cancellationToken)
    {
        // The root of the failover's trace: the decision carries its context, and the promotions and
        // the fill it sets off on every node join it.
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.failover", ActivityKind.Internal, parentContext: default);
        activity?.SetTag("kvs.suspect", suspect.ToString());
        activity?.SetTag("kvs.silent_ms", liveness.SilentFor(suspect.Address).TotalMilliseconds);
        activity?.SetTag("kvs.epoch", config.Epoch);
        LogSuspected(logger, suspect, liveness.SilentFor(suspect.Address).TotalMilliseconds);

        int agreeing = await CountSuspectingVotersAsync(suspect, config, cancellationToken);
        activity?.SetTag("kvs.suspecting_voters", agreeing);
        if (agreeing < config.Quorum)
        {
            activity?.SetTag("kvs.outcome", "no majority");
            return;
        }

        LogProposing(logger, suspect, agreeing, config.Voters.Length);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ControlTimeout);
        try
        {
            ProposeResult result = await configLog.ProposeAsync(new ConfigChange.Exclude(suspect), timeout.Token);
            activity?.SetTag("kvs.outcome", result.Applied ? "excluded" : result.Refusal);
            if (result.Applied)
            {
                activity?.SetTag("kvs.decided_epoch", result.Decided!.Epoch);
                LogExcluded(logger, suspect, result.Decided!.Epoch);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "no decision in time");
        }
    }

    /// <summary>This node and every other voter that suspects <paramref name="suspect"/> too.</summary>
    private async Task<int> CountSuspectingVotersAsync(PlacedMember suspect, ClusterConfig config, CancellationToken cancellationToken)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.failover.majority_check");
        var query = new SuspicionQuery(suspect.Address);
        IEnumerable<Task<bool>> asks = config.Voters
            .Where(v => v != suspect && v.Address != state.Snapshot.Self)
            .Select(async v => (await peers.CallAsync(v.Address, PeerRoutes.Suspects, query, PeerJsonContext.Default.SuspicionAnswer, cancellationToken)).Answer?.Suspected == true);
        int agreeing = 1 + (await Task.WhenAll(asks)).Count(yes => yes);
        activity?.SetTag("kvs.suspecting_voters", agreeing);
        activity?.SetTag("kvs.quorum", config.Quorum);
        return agreeing;
    }

    /// <summary>Answers a peer's <see cref="SuspicionQuery"/>, about the incarnation this node's
    /// configuration knows at that address.</summary>
    public bool Suspects(string peer) =>
        state.Snapshot.Replica?.Config.MemberAt(peer) is { } member ? liveness.IsSuspected(member.Placed) : liveness.IsSuspected(peer);

    [LoggerMessage(EventId = LogEvents.StoodStill, Level = LogLevel.Warning, Message = "This node stood still for {Milliseconds:F0} ms (its failure detector ran that late): no peer's silence counts for that time")]
    private static partial void LogStoodStill(ILogger logger, double milliseconds);

    [LoggerMessage(EventId = LogEvents.PeerSuspected, Level = LogLevel.Warning, Message = "Suspecting {Suspect}: silent for {Milliseconds:F0} ms")]
    private static partial void LogSuspected(ILogger logger, PlacedMember suspect, double milliseconds);

    [LoggerMessage(EventId = LogEvents.ExclusionProposed, Level = LogLevel.Warning, Message = "Proposing to exclude {Suspect}: {Agreeing} of {Voters} voters suspect it")]
    private static partial void LogProposing(ILogger logger, PlacedMember suspect, int agreeing, int voters);

    [LoggerMessage(EventId = LogEvents.ExclusionDecided, Level = LogLevel.Warning, Message = "Excluded {Suspect} at epoch {Epoch}")]
    private static partial void LogExcluded(ILogger logger, PlacedMember suspect, long epoch);
}
