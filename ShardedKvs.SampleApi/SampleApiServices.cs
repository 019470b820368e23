namespace ShardedKvs.SampleApi;

/// <summary>Everything the sample registers: the ShardedKvs client, and HybridCache over it.</summary>
public static class SampleApiServices
{
    /// <summary>The connection name the AppHost's resource gives (<c>AddShardedKvs("kvs")</c>).</summary>
    public const string ConnectionName = "kvs";

    public static IHostApplicationBuilder AddSampleApiServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddShardedKvsClient(ConnectionName);
        builder.Services.AddShardedKvsDistributedCache(cache => cache.InstanceName = "sample:");
        builder.Services.AddHybridCache();
        return builder;
    }
}
