using ShardedKvs.Node.Cluster.Replication;

namespace ShardedKvs.Tests.Cluster.Replication;

public class WriteWindowTests
{
    [Fact]
    public void The_watermark_passes_a_write_only_when_every_earlier_one_completed()
    {
        var window = new WriteWindow(epoch: 3);
        long[] versions = [.. Enumerable.Range(0, 4).Select(_ => Begin(window))];
        long start = window.Watermark;

        Assert.All(versions, v => Assert.Equal(3, WriteWindow.EpochOf(v)));
        Assert.Equal(versions, versions.Order());
        window.Complete(versions[1]);
        window.Complete(versions[2]);
        Assert.Equal(start, window.Watermark);
        window.Complete(versions[0]);
        Assert.Equal(versions[2], window.Watermark);
        window.Complete(versions[3]);
        Assert.Equal(versions[3], window.Watermark);
    }

    [Fact]
    public void Versions_of_a_later_epoch_are_above_every_version_of_an_earlier_one()
    {
        var early = new WriteWindow(epoch: 4);
        for (int i = 0; i < 1000; i++)
        {
            early.Complete(Begin(early));
        }

        var late = new WriteWindow(epoch: 5);
        Assert.True(Begin(late) > early.Watermark);
    }

    [Fact]
    public void A_full_window_refuses_until_the_oldest_completes_and_a_version_completes_once()
    {
        var window = new WriteWindow(epoch: 1, capacity: 2);
        long first = Begin(window);
        long second = Begin(window);

        Assert.Equal(WriteStart.WindowFull, window.TryBegin(out _));
        window.Complete(second);
        Assert.Equal(WriteStart.WindowFull, window.TryBegin(out _));
        window.Complete(first);
        Assert.Equal(WriteStart.Begun, window.TryBegin(out long third));
        Assert.Throws<ArgumentOutOfRangeException>(() => window.Complete(first));
        Assert.Throws<ArgumentOutOfRangeException>(() => window.Complete(third + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => window.Complete(new WriteWindow(epoch: 2).Watermark + 1));
    }

    [Fact]
    public void Only_a_settled_window_retires_and_a_retired_one_begins_no_write()
    {
        var window = new WriteWindow(epoch: 2);
        long under = Begin(window);

        Assert.False(window.TryRetire());
        Assert.Equal(WriteStart.Begun, window.TryBegin(out long next));
        window.Complete(under);
        window.Complete(next);
        Assert.True(window.TryRetire());
        Assert.Equal(WriteStart.EpochMoved, window.TryBegin(out _));
        Assert.True(window.IsSettled);
    }

    [Fact]
    public async Task Many_writers_completing_in_any_order_settle_every_version()
    {
        var window = new WriteWindow(epoch: 7, capacity: 256);
        const int PerWriter = 5_000;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(seed => Task.Run(() =>
        {
            var random = new Random(seed);
            var mine = new List<long>();
            for (int i = 0; i < PerWriter; i++)
            {
                if (window.TryBegin(out long version) == WriteStart.Begun)
                {
                    mine.Add(version);
                }

                if (mine.Count > 0 && (random.Next(2) == 0 || mine.Count > 16))
                {
                    int pick = random.Next(mine.Count);
                    window.Complete(mine[pick]);
                    mine.RemoveAt(pick);
                }
            }

            mine.ForEach(window.Complete);
        })));

        Assert.Equal(WriteStart.Begun, window.TryBegin(out long next));
        Assert.Equal(next - 1, window.Watermark);
    }

    private static long Begin(WriteWindow window)
    {
        Assert.Equal(WriteStart.Begun, window.TryBegin(out long version));
        return version;
    }
}
