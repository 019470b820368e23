namespace ShardedKvs.ServiceDefaults;

/// <summary>
/// The one name under which the node publishes its own traces and metrics. ServiceDefaults subscribes
/// to it, so the node's ActivitySource and Meter must be created with exactly this name.
/// </summary>
public static class ShardedKvsTelemetry
{
    /// <summary>Name of the node's ActivitySource and Meter.</summary>
    public const string Name = "ShardedKvs.Node";
}
