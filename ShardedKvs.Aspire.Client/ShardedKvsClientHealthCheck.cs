using Microsoft.Extensions.Diagnostics.HealthChecks;
using ShardedKvs.Client;

namespace ShardedKvs.Aspire.Client;

/// <summary>Healthy when some node of the cluster serves a view the client can route by.</summary>
internal sealed class ShardedKvsClientHealthCheck(ShardedKvsClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ShardedKvsView? view = await client.FetchViewAsync(cancellationToken);
        return view is null
            ? HealthCheckResult.Unhealthy("No ShardedKvs node serves a view (forming, or not reachable).")
            : HealthCheckResult.Healthy($"Epoch {view.Epoch}: {string.Join(',', view.Nodes)}");
    }
}
