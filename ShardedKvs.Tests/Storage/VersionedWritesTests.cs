using System.Text;
using ShardedKvs.Node.Storage;

namespace ShardedKvs.Tests.Storage;

/// <summary>Replicated writes carry versions; a replica applies one only over an older value, so
/// writes that arrive late or twice never undo newer ones (docs/replication.md).</summary>
public sealed class VersionedWritesTests
{
    [Fact]
    public void A_versioned_write_applies_only_over_an_older_version()
    {
        var store = new KeyValueStore();

        Assert.Equal(PutOutcome.Created, store.PutIfNewer("k", "v5"u8, 5));
        Assert.Equal(PutOutcome.Stale, store.PutIfNewer("k", "v3"u8, 3));
        Assert.Equal(PutOutcome.Stale, store.PutIfNewer("k", "again"u8, 5));
        Assert.Equal(PutOutcome.Replaced, store.PutIfNewer("k", "v9"u8, 9));

        Assert.True(store.TryGet("k", out ReadOnlyMemory<byte> value, out long version));
        Assert.Equal("v9", Encoding.UTF8.GetString(value.Span));
        Assert.Equal(9, version);
        Assert.Equal(9, Assert.Single(store.Entries).Version);
    }

    [Fact]
    public void A_key_by_its_utf8_bytes_is_the_same_key_as_by_its_string()
    {
        // The fill reads and writes keys as UTF-8 bytes; requests and replicated writes as strings.
        var store = new KeyValueStore();
        const string Key = "ключ-🔑";
        byte[] keyUtf8 = Encoding.UTF8.GetBytes(Key);

        Assert.Equal(PutOutcome.Created, store.PutIfNewer(keyUtf8, "copied"u8, 4));
        Assert.Equal(PutOutcome.Stale, store.PutIfNewer(Key, "late"u8, 3));
        Assert.Equal(PutOutcome.Replaced, store.PutIfNewer(Key, "written"u8, 6));
        Assert.Equal(PutOutcome.Stale, store.PutIfNewer(keyUtf8, "copied again"u8, 5));

        Assert.True(store.TryGet(keyUtf8, out ReadOnlyMemory<byte> value, out long version));
        Assert.Equal(("written", 6L), (Encoding.UTF8.GetString(value.Span), version));
        Assert.False(store.TryGet("ключ-🔒"u8, out _, out _));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void A_versioned_delete_removes_only_an_older_value()
    {
        var store = new KeyValueStore();
        store.PutIfNewer("k", "v7"u8, 7);

        Assert.False(store.RemoveIfOlderThan("k", 7));
        Assert.False(store.RemoveIfOlderThan("k", 2));
        Assert.True(store.TryGet("k", out _));
        Assert.True(store.RemoveIfOlderThan("k", 8));
        Assert.False(store.TryGet("k", out _));
        Assert.False(store.RemoveIfOlderThan("missing", 100));
    }

    [Fact]
    public void Plain_writes_are_version_zero_and_keep_their_values_intact()
    {
        var store = new KeyValueStore();
        store.Put("k", "plain"u8);

        Assert.True(store.TryGet("k", out ReadOnlyMemory<byte> value, out long version));
        Assert.Equal(0, version);
        Assert.Equal("plain", Encoding.UTF8.GetString(value.Span));
        Assert.Equal(PutOutcome.Replaced, store.PutIfNewer("k", "v1"u8, 1));
        Assert.True(store.Put("k", ""u8));
        Assert.True(store.TryGet("k", out ReadOnlyMemory<byte> empty, out long reset));
        Assert.True(empty.IsEmpty);
        Assert.Equal(0, reset);
    }

    // Puts only: a delete leaves no tombstone in the store, so ordering deletes against late puts is
    // the replication layer's job (one ordered lane per primary and replica; deletes remembered while
    // a fill runs), not the store's.
    [Fact]
    public async Task Writers_racing_with_versions_in_any_order_leave_each_key_at_its_newest_version()
    {
        var store = new KeyValueStore();
        const int Keys = 200;
        var ops = new List<(int Key, long Version)>();
        for (int key = 0; key < Keys; key++)
        {
            for (long version = 1; version <= 40; version++)
            {
                ops.Add((key, version));
            }
        }

        var shuffled = ops.OrderBy(_ => Random.Shared.Next()).ToArray();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(part => Task.Run(() =>
        {
            for (int i = part; i < shuffled.Length; i += 8)
            {
                (int key, long version) = shuffled[i];
                store.PutIfNewer($"key-{key}", Encoding.UTF8.GetBytes($"{key}@{version}"), version);
            }
        })));

        Assert.Equal(Keys, store.Count);
        for (int key = 0; key < Keys; key++)
        {
            Assert.True(store.TryGet($"key-{key}", out ReadOnlyMemory<byte> value, out long version));
            Assert.Equal(40, version);
            Assert.Equal($"{key}@40", Encoding.UTF8.GetString(value.Span));
            Assert.Equal(PutOutcome.Stale, store.PutIfNewer($"key-{key}", "late"u8, 40));
        }
    }
}
