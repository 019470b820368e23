using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ShardedKvs.Client;
using ShardedKvs.Client.Caching;

// In the DI namespace, like the framework's own Add* extensions, so apps find them without a using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the ShardedKvs client and its distributed cache without Aspire.</summary>
public static class ShardedKvsServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="ShardedKvsClient"/> configured by <paramref name="configure"/>
    /// (at least one endpoint, e.g. <c>o => o.Endpoints.Add("localhost:13801")</c>).
    /// </summary>
    public static IServiceCollection AddShardedKvsClient(this IServiceCollection services, Action<ShardedKvsClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<ShardedKvsClientOptions>().Configure(configure);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new ShardedKvsClient(
            sp.GetRequiredService<IOptions<ShardedKvsClientOptions>>().Value,
            handler: null,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<ShardedKvsClient>>()));
        return services;
    }

    /// <summary>
    /// Adds <see cref="ShardedKvsDistributedCache"/> as the app's <see cref="IDistributedCache"/>
    /// (HybridCache picks it up as its second level). Needs a registered <see cref="ShardedKvsClient"/>.
    /// </summary>
    public static IServiceCollection AddShardedKvsDistributedCache(this IServiceCollection services, Action<ShardedKvsDistributedCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ShardedKvsDistributedCacheOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.Replace(ServiceDescriptor.Singleton<IDistributedCache>(sp => new ShardedKvsDistributedCache(
            sp.GetRequiredService<ShardedKvsClient>(),
            sp.GetRequiredService<IOptions<ShardedKvsDistributedCacheOptions>>(),
            sp.GetRequiredService<TimeProvider>())));
        return services;
    }
}
