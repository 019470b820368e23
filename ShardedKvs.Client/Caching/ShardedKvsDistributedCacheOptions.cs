namespace ShardedKvs.Client.Caching;

/// <summary>Settings of <see cref="ShardedKvsDistributedCache"/>.</summary>
public sealed class ShardedKvsDistributedCacheOptions
{
    /// <summary>Longest prefix: the store's keys are at most 50 characters and the mapped key needs the rest.</summary>
    public const int MaxInstanceNameLength = 12;

    /// <summary>
    /// Prefix of every store key this cache writes, so several apps (or caches) can share one cluster
    /// without seeing each other's entries. At most <see cref="MaxInstanceNameLength"/> characters.
    /// </summary>
    public string InstanceName { get; set; } = "";
}
