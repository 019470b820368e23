using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ShardedKvs.ServiceDefaults;

/// <summary>Paths and the plain-text response writer of the health endpoints.</summary>
public static class HealthEndpoints
{
    /// <summary>Readiness: every registered check must pass (Degraded still answers 200).</summary>
    public const string HealthPath = "/health";

    /// <summary>Liveness: only the checks tagged <see cref="LiveTag"/>.</summary>
    public const string AlivePath = "/alive";

    /// <summary>Tag of the checks that make up liveness.</summary>
    public const string LiveTag = "live";

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
