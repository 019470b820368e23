using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ShardedKvs.Aspire.Hosting;

/// <summary>
/// One node's health in the dashboard, from its GET /kvs/view. The node's /health is a readiness probe
/// for schedulers (503 unless serving), which would paint an idle node, waiting to be added, as failed;
/// here it shows as Degraded with the reason, and only a node that is forming or does not answer is
/// Unhealthy.
/// </summary>
internal sealed class NodeStateHealthCheck(ReferenceExpression address, KvsAdminClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var text = await address.GetValueAsync(cancellationToken) ?? "";
        var view = await client.TryGetViewAsync(text, cancellationToken);
        return view switch
        {
            null => HealthCheckResult.Unhealthy($"{text} does not answer GET /kvs/view"),
            { IsServing: true } => HealthCheckResult.Healthy($"{view.State} at epoch {view.Epoch}"),
            { State: "idle" } => HealthCheckResult.Degraded("idle: not in the view, ready to be added"),
            { State: "joining" } => HealthCheckResult.Degraded("joining: restarted empty, rejoining as a new replica"),
            { State: "excluded" } => HealthCheckResult.Unhealthy("excluded: the other nodes declared it dead and took over its keys"),
            _ => HealthCheckResult.Unhealthy($"{view.State}: not serving yet"),
        };
    }
}
