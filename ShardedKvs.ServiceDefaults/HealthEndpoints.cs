using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ShardedKvs.ServiceDefaults;

/// <summary>Paths and the plain-text response writer of the health endpoints.</summary>
public static class HealthEndpoints
{
    /// <summary>Readiness: 200 only when every registered check is Healthy; Degraded and Unhealthy answer 503.</summary>
    public const string HealthPath = "/health";

    /// <summary>Liveness: only the checks tagged <see cref="LiveTag"/>.</summary>
    public const string AlivePath = "/alive";

    /// <summary>Tag of the checks that make up liveness.</summary>
    public const string LiveTag = "live";

    /// <summary>
    /// Status codes of the readiness endpoint. A scheduler or load balancer reads only the status
    /// code, and a Degraded node (idle outside the view, or catching up) would answer every key
    /// request with 503: so it is not ready. The body still names the state for a person.
    /// </summary>
    public static IDictionary<HealthStatus, int> ReadinessStatusCodes => new Dictionary<HealthStatus, int>
    {
        [HealthStatus.Healthy] = StatusCodes.Status200OK,
        [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
        [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
    };

    /// <summary>
    /// Writes the overall status on the first line, then one line per check that is not healthy,
    /// with its description, so `curl /health` tells a person why a node is not ready.
    /// </summary>
    public static Task WritePlainText(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);

        var text = new StringBuilder().Append(report.Status).Append('\n');
        foreach (var (name, entry) in report.Entries)
        {
            if (entry.Status != HealthStatus.Healthy)
            {
                text.Append(name).Append(": ").Append(entry.Status);
                if (!string.IsNullOrEmpty(entry.Description))
                {
                    text.Append(" (").Append(entry.Description).Append(')');
                }

                text.Append('\n');
            }
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text.ToString(), context.RequestAborted);
    }
}
