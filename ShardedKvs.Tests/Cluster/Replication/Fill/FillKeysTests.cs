using System.Text;
using ShardedKvs.Node.Cluster.Replication.Fill;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>A plan's packed keys read back exactly as they were added, in order, however many.</summary>
public sealed class FillKeysTests
{
    [Fact]
    public void Keys_read_back_in_order_as_the_list_grows()
    {
        var random = new Random(20261205);
        var added = new List<byte[]>();
        var keys = new FillKeys();
        for (int i = 0; i < 5_000; i++)
        {
            // Lengths from 1 byte to past the first buffer's size, beyond ASCII too.
            string key = i % 997 == 0 ? new string('k', 1_500) + i : $"key-{i}-{new string('é', random.Next(0, 8))}";
            byte[] utf8 = Encoding.UTF8.GetBytes(key);
            added.Add(utf8);
            keys.Add(utf8);
        }

        Assert.Equal(added.Count, keys.Count);
        for (int i = 0; i < added.Count; i++)
        {
            Assert.True(keys[i].SequenceEqual(added[i]), $"key {i}");
        }
    }

    [Fact]
    public void An_index_past_the_end_is_refused()
    {
        var keys = new FillKeys();
        keys.Add("a"u8);

        Assert.Throws<ArgumentOutOfRangeException>(() => keys[1].Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => keys[-1].Length);
    }
}
