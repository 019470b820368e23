namespace ShardedKvs.Client;

/// <summary>Names to subscribe to for the client's traces and metrics.</summary>
public static class ShardedKvsClientTelemetry
{
    /// <summary>Name of the client's ActivitySource and Meter.</summary>
    public const string Name = "ShardedKvs.Client";
}
