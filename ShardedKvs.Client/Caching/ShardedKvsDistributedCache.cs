using System.Globalization;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;

namespace ShardedKvs.Client.Caching;

/// <summary>
/// <see cref="IDistributedCache"/> over ShardedKvs, e.g. as HybridCache's second level. What it does
/// that the store does not (yet) do itself:
/// <list type="bullet">
/// <item>Binary values: stored as base64 in a text envelope (<see cref="CacheEntry"/>), so a value
/// takes 4/3 of its size plus about 40 characters; the node's body limit (1 MB by default) caps a
/// value at about 750 KB (larger ones throw <see cref="ShardedKvsRequestRejectedException"/>).</item>
/// <item>Long keys: mapped to at most 50 characters (<see cref="CacheKeyMapper"/>).</item>
/// <item>Expiry: enforced on read by this app's clock. An expired entry reads as a miss and is
/// deleted then (best effort); an entry nobody reads again stays in the store until it is
/// overwritten or removed. Sliding entries keep their last access under a second key, so a refresh
/// never rewrites (and so never resurrects) a value another writer replaced.</item>
/// </list>
/// Store failures surface as <see cref="ShardedKvsException"/>; HybridCache treats them as a miss.
/// </summary>
public sealed class ShardedKvsDistributedCache : IDistributedCache
{
    private readonly ShardedKvsClient _client;
    private readonly CacheKeyMapper _keys;
    private readonly TimeProvider _time;

    public ShardedKvsDistributedCache(ShardedKvsClient client, IOptions<ShardedKvsDistributedCacheOptions> options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _keys = new CacheKeyMapper(options.Value.InstanceName);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        (CacheEntry? entry, _) = await ReadLiveAsync(key, token);
        if (entry?.SlidingMs is not null)
        {
            await TouchAsync(key, token);
        }

        return entry?.Value;
    }

    /// <inheritdoc />
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        DateTimeOffset now = _time.GetUtcNow();
        var entry = new CacheEntry(value, now.ToUnixTimeMilliseconds(), AbsoluteExpiryOf(options, now)?.ToUnixTimeMilliseconds(), SlidingOf(options));
        await _client.PutAsync(_keys.ValueKey(key), entry.Encode(), token);
    }

    /// <inheritdoc />
    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        (CacheEntry? entry, _) = await ReadLiveAsync(key, token);
        if (entry?.SlidingMs is not null)
        {
            await TouchAsync(key, token);
        }
    }

    /// <inheritdoc />
    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        await _client.DeleteAsync(_keys.ValueKey(key), token);
        await _client.DeleteAsync(_keys.TouchKey(key), token);
    }

    /// <summary>The entry if present and not expired; an expired one is deleted (best effort) and reads as null.</summary>
    private async Task<(CacheEntry? Entry, long? LastAccess)> ReadLiveAsync(string key, CancellationToken token)
    {
        string? text = await _client.GetAsync(_keys.ValueKey(key), token);
        if (text is null || CacheEntry.TryDecode(text) is not { } entry)
        {
            return (null, null);
        }

        long? lastAccess = entry.SlidingMs is null ? null : CacheEntry.TryParseStamp(await _client.GetAsync(_keys.TouchKey(key), token));
        if (!entry.IsExpired(_time.GetUtcNow().ToUnixTimeMilliseconds(), lastAccess))
        {
            return (entry, lastAccess);
        }

        await DeleteExpiredAsync(key, token);
        return (null, null);
    }

    private async Task TouchAsync(string key, CancellationToken token) =>
        await _client.PutAsync(_keys.TouchKey(key), _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), token);

    private async Task DeleteExpiredAsync(string key, CancellationToken token)
    {
        // Best effort: a failure here leaves an expired entry that the next read skips again. A
        // concurrent Set may be deleted with it; for a cache that is a miss, never a stale value.
        try
        {
            await _client.DeleteAsync(_keys.ValueKey(key), token);
            await _client.DeleteAsync(_keys.TouchKey(key), token);
        }
        catch (ShardedKvsException)
        {
        }
    }

    private static DateTimeOffset? AbsoluteExpiryOf(DistributedCacheEntryOptions options, DateTimeOffset now)
    {
        DateTimeOffset? absolute = options.AbsoluteExpiration;
        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(relative, TimeSpan.Zero, nameof(options));
            DateTimeOffset fromNow = now + relative;
            absolute = absolute is { } a && a < fromNow ? a : fromNow;
        }

        if (absolute <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(options), absolute, "The absolute expiration value must be in the future.");
        }

        return absolute;
    }

    private static long? SlidingOf(DistributedCacheEntryOptions options)
    {
        if (options.SlidingExpiration is not { } sliding)
        {
            return null;
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(sliding, TimeSpan.Zero, nameof(options));
        return (long)sliding.TotalMilliseconds;
    }
}
