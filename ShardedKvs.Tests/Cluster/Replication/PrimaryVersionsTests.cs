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
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

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
    public void A_writer_holding_a_window_two_epochs_old_cannot_begin_a_write_the_watermark_would_miss()
    {
        // The interleaving a fresh-clone CI run hit: a writer takes epoch 1's window, is preempted,
        // and two newer windows open meanwhile; the second drops the first from the watched list.
        var versions = new PrimaryVersions();
        WriteWindow first = versions.For(1);
        versions.For(2).Complete(Begin(versions.For(2)));
        long third = Begin(versions.For(3));

        WriteStart late = first.TryBegin(out long version);

        Assert.True(late != WriteStart.Begun || versions.Watermark < version, $"watermark {versions.Watermark} passed {version}, still under way");
        Assert.Equal(WriteStart.EpochMoved, late);
        versions.For(3).Complete(third);
        Assert.False(versions.HasUnsettledBefore(4));
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
                if (window.TryBegin(out long version) == WriteStart.Begun)
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

    [Fact]
    public void A_write_that_found_its_node_primary_at_an_epoch_it_has_left_does_not_begin()
    {
        var versions = new PrimaryVersions();
        versions.Adopted(3);
        Assert.Equal(WriteStart.Begun, versions.TryBegin(3, out WriteWindow third, out long under));

        versions.Adopted(4);
        Assert.False(versions.HasDrained(4), "a write begun at epoch 3 is still under way");
        Assert.Equal(WriteStart.EpochMoved, versions.TryBegin(3, out _, out _));
        third.Complete(under);
        Assert.True(versions.HasDrained(4));
        Assert.False(versions.HasDrained(5), "epoch 5 is not adopted yet");
    }

    [Fact]
    public async Task No_write_begins_for_an_epoch_older_than_one_a_drain_check_said_was_drained()
    {
        // The adopter plays the configuration log and the drain checks of a key's next primaries;
        // the writers play requests that read the snapshot's epoch, then begin.
        var versions = new PrimaryVersions();
        long published = 1;
        long drained = 0;
        int violations = 0;
        long begun = 0;
        versions.Adopted(1);
        using var stop = new CancellationTokenSource();

        Task[] writers = [.. Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                long seen = Interlocked.Read(ref published);
                if (versions.TryBegin(seen, out WriteWindow window, out long version) == WriteStart.Begun)
                {
                    Interlocked.Increment(ref begun);
                    if (Interlocked.Read(ref drained) > seen)
                    {
                        Interlocked.Increment(ref violations);
                    }

                    window.Complete(version);
                }
            }
        }))];

        for (long epoch = 2; epoch <= 100; epoch++)
        {
            long before = Interlocked.Read(ref begun);
            Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref begun) > before, Patience), $"no write began at epoch {epoch - 1}");
            Interlocked.Exchange(ref published, epoch); // the snapshot first, as ConfigAdoption does
            versions.Adopted(epoch);
            Assert.True(SpinWait.SpinUntil(() => versions.HasDrained(epoch), Patience), $"epoch {epoch} did not drain");
            Interlocked.Exchange(ref drained, epoch);
        }

        await stop.CancelAsync();
        await Task.WhenAll(writers);
        Assert.Equal(0, violations);
    }

    private static long Begin(WriteWindow window)
    {
        Assert.Equal(WriteStart.Begun, window.TryBegin(out long version));
        return version;
    }
}
