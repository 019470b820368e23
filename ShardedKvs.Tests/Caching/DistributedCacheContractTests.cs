using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ShardedKvs.Client;
using ShardedKvs.Client.Caching;
using ShardedKvs.Tests.Api;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Caching;

/// <summary>
/// What any IDistributedCache must do, run against ShardedKvs nodes: get/set/remove/refresh,
/// absolute and sliding expiry (on a clock the test moves), binary values and long keys.
/// </summary>
public sealed class DistributedCacheContractTests : IClassFixture<DistributedCacheContractTests.TwoNodes>, IDisposable
{
    private readonly TestCluster _cluster;
    private readonly ShardedKvsClient _client;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-03T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly ShardedKvsDistributedCache _cache;

    public DistributedCacheContractTests(TwoNodes fixture)
    {
        _cluster = fixture.Cluster;
        var options = new ShardedKvsClientOptions();
        options.Endpoints.Add(_cluster[0].Address);
        _client = new ShardedKvsClient(options);
        _cache = NewCache("");
    }

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task A_missing_key_reads_as_null()
    {
        Assert.Null(await _cache.GetAsync(Keys.Unique("missing")));
    }

    [Fact]
    public async Task Every_byte_value_and_the_empty_value_round_trip()
    {
        byte[] everyByte = [.. Enumerable.Range(0, 256).Select(i => (byte)i)];
        string key = Keys.Unique("bytes"), empty = Keys.Unique("empty");

        await _cache.SetAsync(key, everyByte, new DistributedCacheEntryOptions());
        await _cache.SetAsync(empty, [], new DistributedCacheEntryOptions());

        Assert.Equal(everyByte, await _cache.GetAsync(key));
        Assert.Equal(Array.Empty<byte>(), await _cache.GetAsync(empty));
    }

    [Fact]
    public async Task Set_replaces_and_remove_deletes()
    {
        string key = Keys.Unique("replace");
        await _cache.SetAsync(key, [1], new DistributedCacheEntryOptions());
        await _cache.SetAsync(key, [2], new DistributedCacheEntryOptions());
        Assert.Equal([2], await _cache.GetAsync(key));

        await _cache.RemoveAsync(key);

        Assert.Null(await _cache.GetAsync(key));
    }

    [Fact]
    public void The_synchronous_methods_do_the_same()
    {
        string key = Keys.Unique("sync");
        _cache.Set(key, [7, 8], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) });
        Assert.Equal([7, 8], _cache.Get(key));
        _cache.Refresh(key);
        _cache.Remove(key);
        Assert.Null(_cache.Get(key));
    }

    [Fact]
    public async Task An_entry_expires_at_its_absolute_expiry_and_is_deleted_from_the_store()
    {
        string key = Keys.Unique("absolute");
        await _cache.SetAsync(key, [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) });

        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal([1], await _cache.GetAsync(key));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(await _cache.GetAsync(key));

        Assert.Null(await _client.GetAsync("v:" + key)); // deleted, not just hidden
    }

    [Fact]
    public async Task An_absolute_expiry_in_the_past_is_refused()
    {
        var past = new DistributedCacheEntryOptions { AbsoluteExpiration = _time.GetUtcNow().AddSeconds(-1) };

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _cache.SetAsync(Keys.Unique("past"), [1], past));
    }

    [Fact]
    public async Task Reading_an_entry_with_a_sliding_window_keeps_it_alive()
    {
        string key = Keys.Unique("sliding");
        await _cache.SetAsync(key, [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(5) });

        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal([1], await _cache.GetAsync(key));
        _time.Advance(TimeSpan.FromMinutes(4)); // 8 minutes after the write, 4 after the read
        Assert.Equal([1], await _cache.GetAsync(key));
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(await _cache.GetAsync(key));
    }

    [Fact]
    public async Task Refresh_resets_the_sliding_window_without_reading_the_value_back()
    {
        string key = Keys.Unique("refresh");
        await _cache.SetAsync(key, [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(5) });

        _time.Advance(TimeSpan.FromMinutes(4));
        await _cache.RefreshAsync(key);
        _time.Advance(TimeSpan.FromMinutes(4));

        Assert.Equal([1], await _cache.GetAsync(key));
    }

    [Fact]
    public async Task A_sliding_window_never_outlives_the_absolute_expiry()
    {
        string key = Keys.Unique("capped");
        await _cache.SetAsync(key, [1], new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(5),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(7),
        });

        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal([1], await _cache.GetAsync(key));
        _time.Advance(TimeSpan.FromMinutes(3));

        Assert.Null(await _cache.GetAsync(key));
    }

    [Fact]
    public async Task A_refresh_never_brings_back_a_value_that_was_replaced()
    {
        string key = Keys.Unique("no-resurrect");
        var sliding = new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(5) };
        await _cache.SetAsync(key, [1], sliding);
        await _cache.RefreshAsync(key);
        await _cache.SetAsync(key, [2], sliding);
        await _cache.RefreshAsync(key);

        Assert.Equal([2], await _cache.GetAsync(key));
    }

    [Fact]
    public async Task Keys_longer_than_the_store_allows_are_kept_apart()
    {
        string common = new('x', 300);
        string first = common + Keys.Unique("a"), second = common + Keys.Unique("b");

        await _cache.SetAsync(first, [1], new DistributedCacheEntryOptions());
        await _cache.SetAsync(second, [2], new DistributedCacheEntryOptions());

        Assert.Equal([1], await _cache.GetAsync(first));
        Assert.Equal([2], await _cache.GetAsync(second));
        await _cache.RemoveAsync(first);
        Assert.Null(await _cache.GetAsync(first));
        Assert.Equal([2], await _cache.GetAsync(second));
    }

    [Fact]
    public async Task Caches_with_different_instance_names_do_not_see_each_others_entries()
    {
        string key = Keys.Unique("shared");
        ShardedKvsDistributedCache orders = NewCache("orders"), users = NewCache("users");

        await orders.SetAsync(key, [1], new DistributedCacheEntryOptions());

        Assert.Null(await users.GetAsync(key));
        Assert.Equal([1], await orders.GetAsync(key));
    }

    private ShardedKvsDistributedCache NewCache(string instanceName) =>
        new(_client, Options.Create(new ShardedKvsDistributedCacheOptions { InstanceName = instanceName }), _time);

    public sealed class TwoNodes : ClusterFixture
    {
        protected override int Nodes => 2;
    }
}
