using System.Collections.Concurrent;
using System.Text;
using ShardedKvs.Node.Storage;

namespace ShardedKvs.Tests.Storage;

public sealed class KeyValueStoreTests
{
    [Fact]
    public void Put_reports_whether_it_replaced_a_value()
    {
        var store = new KeyValueStore();

        Assert.False(store.Put("k", "a"u8));
        Assert.True(store.Put("k", "b"u8));
        Assert.Equal("b", ValueOf(store, "k"));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void A_value_read_earlier_keeps_its_bytes_after_the_key_is_replaced_or_removed()
    {
        var store = new KeyValueStore();
        store.Put("k", "first"u8);
        Assert.True(store.TryGet("k", out ReadOnlyMemory<byte> first));

        store.Put("k", "second"u8);
        store.Remove("k");

        Assert.Equal("first", Encoding.UTF8.GetString(first.Span));
    }

    [Fact]
    public void Remove_reports_whether_the_key_was_there()
    {
        var store = new KeyValueStore();
        store.Put("k", "v"u8);

        Assert.True(store.Remove("k"));
        Assert.False(store.Remove("k"));
        Assert.False(store.TryGet("k", out _));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task Of_concurrent_first_puts_of_one_key_exactly_one_creates_it()
    {
        for (int round = 0; round < 200; round++)
        {
            var store = new KeyValueStore();
            using var start = new Barrier(8);
            bool[] replaced = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Factory.StartNew(
                () =>
                {
                    start.SignalAndWait();
                    return store.Put("contended", [(byte)i]);
                },
                TaskCreationOptions.LongRunning)));

            Assert.Equal(1, replaced.Count(r => !r));
        }
    }

    [Fact]
    public void Remove_if_unchanged_removes_the_value_it_was_given()
    {
        var store = new KeyValueStore();
        store.Put("k", "v"u8);
        Assert.True(store.TryGet("k", out ReadOnlyMemory<byte> read));

        Assert.True(store.RemoveIfUnchanged("k", read));
        Assert.False(store.TryGet("k", out _));
    }

    [Fact]
    public void Remove_if_unchanged_keeps_a_value_written_since_even_an_equal_one()
    {
        var store = new KeyValueStore();
        store.Put("k", "old"u8);
        Assert.True(store.TryGet("k", out ReadOnlyMemory<byte> moved));
        store.Put("k", "old"u8);

        Assert.False(store.RemoveIfUnchanged("k", moved));
        Assert.True(store.Contains("k"));
    }

    [Fact]
    public void Remove_if_unchanged_with_a_value_not_from_the_store_removes_nothing()
    {
        var store = new KeyValueStore();
        store.Put("k", "v"u8);

        Assert.False(store.RemoveIfUnchanged("k", "v"u8.ToArray()));
        Assert.False(store.RemoveIfUnchanged("other", "v"u8.ToArray()));
        Assert.True(store.Contains("k"));
    }

    [Theory]
    [InlineData("ключ")]
    [InlineData("鍵")]
    [InlineData("🔑 key")]
    [InlineData("a/b?c=d&e#f")]
    [InlineData("")]
    public void Any_unicode_key_round_trips(string key)
    {
        var store = new KeyValueStore();
        store.Put(key, "v"u8);

        Assert.Equal("v", ValueOf(store, key));
        Assert.Equal(key, Assert.Single(store.Entries).Key);
        Assert.Equal(Encoding.UTF8.GetBytes(key), Assert.Single(store.Entries).KeyUtf8.ToArray());
    }

    [Fact]
    public void Keys_that_differ_only_in_normalization_or_case_stay_apart()
    {
        var store = new KeyValueStore();
        store.Put("\u00e9", "composed"u8);
        store.Put("e\u0301", "decomposed"u8);
        store.Put("K", "upper"u8);
        store.Put("k", "lower"u8);

        Assert.Equal("composed", ValueOf(store, "\u00e9"));
        Assert.Equal("decomposed", ValueOf(store, "e\u0301"));
        Assert.Equal("upper", ValueOf(store, "K"));
        Assert.Equal("lower", ValueOf(store, "k"));
    }

    [Fact]
    public void A_key_with_a_lone_surrogate_is_refused_rather_than_merged_with_another()
    {
        var store = new KeyValueStore();

        Assert.ThrowsAny<ArgumentException>(() => store.Put("a\ud800", "v"u8));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void An_empty_value_is_a_value()
    {
        var store = new KeyValueStore();

        Assert.False(store.Put("k", ReadOnlySpan<byte>.Empty));
        Assert.True(store.TryGet("k", out ReadOnlyMemory<byte> value));
        Assert.True(value.IsEmpty);
        Assert.True(store.Put("k", ReadOnlySpan<byte>.Empty));
    }

    [Theory]
    [InlineData(127)] // the longest key whose length fits one byte
    [InlineData(128)]
    [InlineData(300)] // longer than the stack buffer for a lookup
    [InlineData(20_000)]
    public void Very_long_keys_round_trip_and_stay_apart(int length)
    {
        var store = new KeyValueStore();
        string a = new string('x', length - 1) + "a";
        string b = new string('x', length - 1) + "b";
        string wide = new string('ж', length); // two UTF-8 bytes per char

        store.Put(a, "A"u8);
        store.Put(b, "B"u8);
        store.Put(wide, "W"u8);

        Assert.Equal("A", ValueOf(store, a));
        Assert.Equal("B", ValueOf(store, b));
        Assert.Equal("W", ValueOf(store, wide));
        Assert.False(store.TryGet(new string('x', length), out _));
        Assert.Equal([a, b, wide], store.Entries.Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_store_that_grew_and_shrank_keeps_working()
    {
        var store = new KeyValueStore();
        for (int i = 0; i < 50_000; i++)
        {
            store.Put($"key-{i}", Encoding.UTF8.GetBytes($"value-{i}"));
        }

        for (int i = 0; i < 50_000; i += 2)
        {
            Assert.True(store.Remove($"key-{i}"));
        }

        Assert.Equal(25_000, store.Count);
        for (int i = 0; i < 50_000; i++)
        {
            Assert.Equal(i % 2 == 1, store.TryGet($"key-{i}", out ReadOnlyMemory<byte> value));
            if (i % 2 == 1)
            {
                Assert.Equal($"value-{i}", Encoding.UTF8.GetString(value.Span));
            }
        }

        for (int i = 1; i < 50_000; i += 2)
        {
            Assert.True(store.Remove($"key-{i}"));
        }

        Assert.Equal(0, store.Count);
        Assert.Empty(store.Entries);
        Assert.False(store.Put("again", "v"u8));
        Assert.Equal("v", ValueOf(store, "again"));
    }

    [Fact]
    public async Task Parallel_writers_readers_and_deleters_leave_a_consistent_count()
    {
        var store = new KeyValueStore();
        var live = new ConcurrentDictionary<string, bool>();
        await Parallel.ForAsync(0, 16, async (worker, _) =>
        {
            for (int i = 0; i < 2000; i++)
            {
                string key = $"w{worker}-{i % 100}";
                if (i % 3 == 2)
                {
                    store.Remove(key);
                    live.TryRemove(key, out bool _);
                }
                else
                {
                    store.Put(key, [(byte)i]);
                    live[key] = true;
                    Assert.True(store.TryGet(key, out ReadOnlyMemory<byte> _));
                }
            }

            await Task.Yield();
        });

        Assert.Equal(live.Count, store.Count);
        Assert.Equal(live.Keys.Order(StringComparer.Ordinal), store.Entries.Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Readers_on_shared_keys_never_see_a_torn_or_missing_value_while_writers_resize_the_store()
    {
        var store = new KeyValueStore();
        string[] stable = Enumerable.Range(0, 500).Select(i => $"stable-{i}").ToArray();
        foreach (string key in stable)
        {
            store.Put(key, Fill(0, 100));
        }

        using var readersDone = new CancellationTokenSource();
        Task[] writers = Enumerable.Range(0, 4).Select(w => OnOwnThread(() =>
        {
            // Overwrites the stable keys (every value is one byte repeated) and grows and shrinks
            // the store with keys of its own, until every reader has finished.
            for (int round = 0; !readersDone.IsCancellationRequested; round++)
            {
                for (int i = 0; i < 2000; i++)
                {
                    store.Put($"churn-{w}-{i}", Fill((byte)i, i % 7));
                    store.Put(stable[(i + w) % stable.Length], Fill((byte)(round + w), 100));
                }

                for (int i = 0; i < 2000; i++)
                {
                    store.Remove($"churn-{w}-{i}");
                }
            }
        })).ToArray();

        Task[] readers = Enumerable.Range(0, 4).Select(_ => OnOwnThread(() =>
        {
            for (int pass = 0; pass < 200; pass++)
            {
                foreach (string key in stable)
                {
                    Assert.True(store.TryGet(key, out ReadOnlyMemory<byte> value), $"{key} went missing");
                    Assert.Equal(100, value.Length);
                    Assert.True(value.Span.IndexOfAnyExcept(value.Span[0]) < 0, $"{key} holds a mix of two values");
                }
            }
        })).ToArray();

        try
        {
            await Task.WhenAll(readers);
        }
        finally
        {
            await readersDone.CancelAsync();
            await Task.WhenAll(writers);
        }

        Assert.Equal(stable.Length, store.Count);
    }

    [Fact]
    public async Task A_walk_during_writes_sees_every_key_present_throughout_exactly_once()
    {
        var store = new KeyValueStore();
        string[] stable = Enumerable.Range(0, 5000).Select(i => $"stable-{i}").ToArray();
        foreach (string key in stable)
        {
            store.Put(key, "v"u8);
        }

        using var walksDone = new CancellationTokenSource();
        Task[] writers = Enumerable.Range(0, 2).Select(w => OnOwnThread(() =>
        {
            for (int round = 0; !walksDone.IsCancellationRequested; round++)
            {
                for (int i = 0; i < 3000; i++)
                {
                    store.Put($"churn-{w}-{i}", "c"u8);
                    store.Put(stable[(i * 7 + round) % stable.Length], [(byte)round]);
                }

                for (int i = 0; i < 3000; i++)
                {
                    store.Remove($"churn-{w}-{i}");
                }
            }
        })).ToArray();

        try
        {
            await OnOwnThread(() =>
            {
                for (int walk = 0; walk < 20; walk++)
                {
                    var seen = new Dictionary<string, int>(StringComparer.Ordinal);
                    foreach (StoredEntry entry in store.Entries)
                    {
                        string key = entry.Key;
                        seen[key] = seen.GetValueOrDefault(key) + 1;
                    }

                    foreach (string key in stable)
                    {
                        Assert.True(seen.TryGetValue(key, out int times), $"walk {walk} missed {key}");
                        Assert.Equal(1, times);
                    }
                }
            });
        }
        finally
        {
            await walksDone.CancelAsync();
            await Task.WhenAll(writers);
        }
    }

    // Busy loops on pool threads would wait for the pool to grow before the other side starts.
    private static Task OnOwnThread(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static string ValueOf(KeyValueStore store, string key)
    {
        Assert.True(store.TryGet(key, out ReadOnlyMemory<byte> value), $"{key} is missing");
        return Encoding.UTF8.GetString(value.Span);
    }

    private static byte[] Fill(byte value, int length)
    {
        byte[] bytes = new byte[length];
        bytes.AsSpan().Fill(value);
        return bytes;
    }
}
