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

        Assert.False(store.Put("k", "a"u8.ToArray()));
        Assert.True(store.Put("k", "b"u8.ToArray()));
        Assert.True(store.TryGet("k", out byte[] value));
        Assert.Equal("b", Encoding.UTF8.GetString(value));
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
    public void Remove_if_unchanged_keeps_a_value_written_since()
    {
        var store = new KeyValueStore();
        byte[] moved = "old"u8.ToArray();
        store.Put("k", moved);
        store.Put("k", "new"u8.ToArray());

        Assert.False(store.RemoveIfUnchanged("k", moved));
        Assert.True(store.Contains("k"));
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
                    Assert.True(store.TryGet(key, out byte[] _));
                }
            }

            await Task.Yield();
        });

        Assert.Equal(live.Count, store.Count);
    }
}
