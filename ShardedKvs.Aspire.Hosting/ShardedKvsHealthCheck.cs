using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ShardedKvs.Aspire.Hosting;

/// <summary>
/// The cluster resource's health, from every node's GET /kvs/view: Healthy when a view serves and
/// every member of it answers as serving; Degraded when some member does not; Unhealthy when no
/// node serves (still forming, or down). WaitFor(kvs) waits for Healthy.
/// </summary>
internal sealed class ShardedKvsHealthCheck(ShardedKvsResource cluster, KvsAdminClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var answers = await Task.WhenAll(cluster.Addresses.Select(async address =>
        {
            var text = await address.GetValueAsync(cancellationToken) ?? "";
            return (Address: text, Answer: await client.TryGetViewAsync(text, cancellationToken));
        }));

        var current = ClusterView.Current(answers.Select(a => a.Answer));
        if (current is null)
        {
            return HealthCheckResult.Unhealthy("No node serves a view yet (forming or down).");
        }

        var missing = current.Members
            .Where(member => !answers.Any(a => a.Address == member && a.Answer is { IsServing: true }))
            .ToList();
        return missing.Count == 0
            ? HealthCheckResult.Healthy($"Epoch {current.Epoch}: {current.Text}")
            : HealthCheckResult.Degraded($"Epoch {current.Epoch}: not serving: {string.Join(", ", missing)}");
    }
}
