using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using ShardedKvs.Tests.Api;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Caching;

/// <summary>HybridCache with ShardedKvs as its second level: what one app instance computed, another one reads.</summary>
public sealed class HybridCacheTests : IClassFixture<HybridCacheTests.TwoNodes>
{
    private readonly TestCluster _cluster;

    public HybridCacheTests(TwoNodes fixture) => _cluster = fixture.Cluster;

    [Fact]
    public async Task A_second_app_instance_gets_the_value_from_ShardedKvs_without_computing_it()
    {
        string key = Keys.Unique("hybrid");
        await using ServiceProvider first = NewAppInstance(), second = NewAppInstance();
        int computed = 0;

        string a = await first.GetRequiredService<HybridCache>().GetOrCreateAsync(key, _ => ValueTask.FromResult($"answer-{Interlocked.Increment(ref computed)}"));

        // HybridCache may finish writing its second level after GetOrCreateAsync returned: wait for
        // the entry to be in ShardedKvs (the condition the second instance relies on), not for a time.
        IDistributedCache secondLevel = first.GetRequiredService<IDistributedCache>();
        await Eventually.WaitUntilAsync(async () => await secondLevel.GetAsync(key) is not null, TimeSpan.FromSeconds(30), $"'{key}' to reach ShardedKvs");
        string b = await second.GetRequiredService<HybridCache>().GetOrCreateAsync(key, _ => ValueTask.FromResult($"answer-{Interlocked.Increment(ref computed)}"));

        Assert.Equal("answer-1", a);
        Assert.Equal("answer-1", b);
        Assert.Equal(1, computed);
    }

    private ServiceProvider NewAppInstance()
    {
        var services = new ServiceCollection();
        services.AddShardedKvsClient(o => o.Endpoints.Add(_cluster[0].Address));
        services.AddShardedKvsDistributedCache(o => o.InstanceName = "hc");
        services.AddHybridCache();
        return services.BuildServiceProvider();
    }

    public sealed class TwoNodes : ClusterFixture
    {
        protected override int Nodes => 2;
    }
}
