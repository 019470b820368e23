using Microsoft.Extensions.Diagnostics.HealthChecks;
using ShardedKvs.Node.Cluster.Membership;

namespace ShardedKvs.Node;

/// <summary>Readiness: healthy when serving keys, unhealthy while forming, degraded (not failed)
/// when idle outside the view, so the text tells a waiting node from a broken one; /health answers
/// 503 for both (HealthEndpoints.ReadinessStatusCodes), since neither serves keys.</summary>
public sealed class NodeHealthCheck(ClusterState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ClusterSnapshot s = state.Snapshot;
        return Task.FromResult(s.Status switch
        {
            NodeStatus.Serving when s.Replica is { } replica && !replica.Config.IsInSync(replica.Self) =>
                HealthCheckResult.Degraded("learner: catching up as a new replica"),
            NodeStatus.Serving => HealthCheckResult.Healthy($"serving epoch {s.Current.Epoch}"),
            NodeStatus.Idle => HealthCheckResult.Degraded("idle: not in the view"),
            NodeStatus.Joining => HealthCheckResult.Degraded("joining: restarted empty, asking to rejoin as a learner"),
            NodeStatus.Excluded => HealthCheckResult.Unhealthy("excluded: a majority declared this process dead; restart it to rejoin"),
            _ => HealthCheckResult.Unhealthy("forming: waiting for every node of the view to join"),
        });
    }
}
