using System.Collections.Concurrent;
using ShardedKvs.Node.Cluster.Replication;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// The watermark a primary sends tells its replicas which of its writes they may stop keeping for
/// reconciliation, so it must never pass a write still under way: not even when the node moved to a
/// newer epoch, whose versions all lie above the older epoch's.
/// </summary>
public class PrimaryVersionsTests
{
    [Fact]
    public void A_write_still_under_way_from_an_older_epoch_holds_the_watermark_below_it()
    {
        var versions = new PrimaryVersions();
        WriteWindow third = versions.For(3);
        long older = Begin(third);
        long newer = Begin(versions.For(4));
        versions.For(4).Complete(newer);

        Assert.True(versions.Watermark < older, $"watermark {versions.Watermark} passed {older}, still under way");
        Assert.True(versions.HasUnsettledBefore(4));

        third.Complete(older);
        Assert.Equal(newer, versions.Watermark);
        Assert.False(versions.HasUnsettledBefore(5));
    }

    [Fact]
    public async Task Under_many_writers_and_epoch_changes_the_watermark_never_passes_a_write_in_flight()
    {
        var versions = new PrimaryVersions();
        var inFlight = new ConcurrentDictionary<long, WriteWindow>();
        long epoch = 1;
        using var stop = new CancellationTokenSource();
        int violations = 0;
        long checks = 0;

        Task reader = Task.Run(() =>
        {
            do
            {
                long[] before = [.. inFlight.Keys];
                long watermark = versions.Watermark;
                foreach (long version in before)
                {
                    // In flight before and after the read: the watermark read between must be below it.
                    if (inFlight.ContainsKey(version) && version <= watermark)
                    {
                        Interlocked.Increment(ref violations);
                    }
                }

                checks++;
            }
            while (!stop.IsCancellationRequested);
        });

        Task[] writers = [.. Enumerable.Range(0, 8).Select(seed => Task.Run(() =>
        {
            var random = new Random(seed);
            var mine = new List<long>();
            for (int i = 0; i < 20_000; i++)
            {
                if (random.Next(500) == 0)
                {
                    Interlocked.Increment(ref epoch);
                }

                WriteWindow window = versions.For(Interlocked.Read(ref epoch));
                if (window.TryBegin(out long version))
                {
                    inFlight[version] = window;
                    mine.Add(version);
                }

                if (mine.Count > 0 && (random.Next(2) == 0 || mine.Count > 16))
                {
                    Finish(mine[0]);
                    mine.RemoveAt(0);
                }
            }

            mine.ForEach(Finish);
        }))];

        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await reader;

        Assert.Equal(0, violations);
        Assert.True(checks > 0);
        Assert.False(versions.HasUnsettledBefore(Interlocked.Read(ref epoch) + 1));

        void Finish(long version)
        {
            inFlight.TryRemove(version, out WriteWindow? window);
            window!.Complete(version);
        }
    }

    private static long Begin(WriteWindow window)
    {
        Assert.True(window.TryBegin(out long version));
        return version;
    }
}
