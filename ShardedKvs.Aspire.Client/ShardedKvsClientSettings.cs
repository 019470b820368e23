namespace ShardedKvs.Aspire.Client;

/// <summary>
/// Settings of the Aspire ShardedKvs client integration, bound from the <c>Aspire:ShardedKvs:Client</c>
/// section (and <c>Aspire:ShardedKvs:Client:{connectionName}</c> for one connection). The client's
/// own options (timeouts, attempts) bind from the same sections.
/// </summary>
public sealed class ShardedKvsClientSettings
{
    /// <summary>"Endpoints=host:port,..." (from <c>ConnectionStrings:{connectionName}</c> when set there).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>No health check is registered when true.</summary>
    public bool DisableHealthChecks { get; set; }

    /// <summary>The client's spans are not exported when true.</summary>
    public bool DisableTracing { get; set; }

    /// <summary>The client's metrics are not exported when true.</summary>
    public bool DisableMetrics { get; set; }

    /// <summary>Longest the health check may take; the health check service's default when null.</summary>
    public TimeSpan? HealthCheckTimeout { get; set; }
}
