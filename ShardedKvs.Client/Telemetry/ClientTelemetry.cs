using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ShardedKvs.Client.Telemetry;

/// <summary>
/// The client's one ActivitySource and one Meter, both named "ShardedKvs.Client". Static, like the
/// sources of other data-store clients, so a client built without DI still reports; subscribe with
/// <c>AddSource(ShardedKvsClientTelemetry.Name)</c> and <c>AddMeter(ShardedKvsClientTelemetry.Name)</c>.
/// </summary>
internal static class ClientTelemetry
{
    public static readonly ActivitySource Source = new(ShardedKvsClientTelemetry.Name);

    private static readonly Meter Meter = new(ShardedKvsClientTelemetry.Name);

    /// <summary>Calls by operation and outcome (created, replaced, found, not_found, deleted, unavailable, outcome_unknown, rejected, canceled).</summary>
    public static readonly Counter<long> Operations = Meter.CreateCounter<long>("kvs.client.operations", "{operation}", "Client calls by operation and outcome.");

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("kvs.client.operation.duration", "s", "Duration of client calls, all attempts included.");

    public static readonly Counter<long> Retries = Meter.CreateCounter<long>("kvs.client.retries", "{attempt}", "Attempts after the first, by operation and the failure that caused them.");

    public static readonly Counter<long> ViewRefreshes = Meter.CreateCounter<long>("kvs.client.view_refreshes", "{refresh}", "Times the client fetched the view because its own was stale or missing.");

    /// <summary>The client span of one call; the HTTP span and the node's server span nest under it.</summary>
    public static Activity? StartOperation(string operation, string key)
    {
        Activity? activity = Source.StartActivity($"kvs.client.{operation}", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("db.system.name", "shardedkvs");
            activity.SetTag("db.operation.name", operation);
            activity.SetTag("kvs.key.length", key.Length);
        }

        return activity;
    }
}
