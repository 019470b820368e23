using System.Diagnostics.Metrics;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Storage;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>A fill keeps to its rate by waiting on the clock between batches, and its progress can
/// be read while it runs. The clock is fake: nothing here depends on how fast the machine is.</summary>
public sealed class FillThrottleTests : IDisposable
{
    private static readonly PlacedMember Source = FillKit.Member(0);
    private static readonly PlacedMember Learner = FillKit.Member(1);
    private static readonly TimeSpan Parked = TimeSpan.FromSeconds(10);

    private readonly FillKit _kit = new();
    private readonly FakeLearners _learners = new();
    private readonly WatchedClock _clock = new();

    [Fact]
    public async Task With_the_clock_stopped_only_the_first_batch_goes_and_each_later_batch_waits_for_the_clock()
    {
        KeyValueStore store = FillKit.StoreWith(Enumerable.Range(0, 50).Select(i => $"key-{i}"));
        FillSource source = _kit.Source(store, _learners, _clock, o =>
        {
            o.FillKeysPerSecond = 100;
            o.FillBatchKeys = 10;
        });

        Task<FillResult> copy = source.CopyAsync(FillKit.OneSourceOneLearner(Source, Learner), Source, CancellationToken.None);
        for (int batches = 1; batches < 5; batches++)
        {
            // Parked on the clock after each batch: exactly the batches so far went, no more.
            Assert.True(await _clock.TimersCreated.WaitAsync(Parked), $"the copy did not wait on the clock after batch {batches}");
            Assert.Equal(batches, _learners.Deliveries.Count);
            Assert.False(copy.IsCompleted);
            FillProgress progress = source.Progress;
            Assert.True(progress.Running);
            Assert.Equal(50, progress.KeysTotal);
            Assert.Equal(10 * batches, progress.KeysCopied);
            Assert.Equal(batches, progress.Batches);
            _clock.Fake.Advance(TimeSpan.FromMilliseconds(100));
        }

        FillResult result = await copy.WaitAsync(Parked);
        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(5, _learners.Deliveries.Count);
        Assert.Equal(50, _learners[Learner].Store.Count);
        Assert.False(source.Progress.Running);
        Assert.Equal(0, source.Progress.KeysRemaining);
    }

    [Fact]
    public async Task A_clock_advanced_by_less_than_the_rate_allows_sends_nothing_more()
    {
        KeyValueStore store = FillKit.StoreWith(Enumerable.Range(0, 30).Select(i => $"key-{i}"));
        FillSource source = _kit.Source(store, _learners, _clock, o =>
        {
            o.FillKeysPerSecond = 10;
            o.FillBatchKeys = 10;
        });

        Task<FillResult> copy = source.CopyAsync(FillKit.OneSourceOneLearner(Source, Learner), Source, CancellationToken.None);
        Assert.True(await _clock.TimersCreated.WaitAsync(Parked));
        _clock.Fake.Advance(TimeSpan.FromMilliseconds(999));

        Assert.Single(_learners.Deliveries);
        Assert.False(copy.IsCompleted);
        _clock.Fake.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await _clock.TimersCreated.WaitAsync(Parked));
        Assert.Equal(2, _learners.Deliveries.Count);
        _clock.Fake.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await copy.WaitAsync(Parked)).Succeeded);
    }

    [Fact]
    public async Task Keys_copied_and_keys_remaining_are_metrics()
    {
        var measured = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument == _kit.Telemetry.FillKeysCopied || instrument == _kit.Telemetry.FillKeysRemaining)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            lock (measured)
            {
                measured[instrument.Name] = measured.GetValueOrDefault(instrument.Name) + value;
            }
        });
        listener.Start();
        KeyValueStore store = FillKit.StoreWith(Enumerable.Range(0, 30).Select(i => $"key-{i}"));
        FillSource source = _kit.Source(store, _learners, _clock, o =>
        {
            o.FillKeysPerSecond = 10;
            o.FillBatchKeys = 10;
        });

        Task<FillResult> copy = source.CopyAsync(FillKit.OneSourceOneLearner(Source, Learner), Source, CancellationToken.None);
        Assert.True(await _clock.TimersCreated.WaitAsync(Parked));
        lock (measured)
        {
            Assert.Equal(10, measured["kvs.fill.keys_copied"]);
            Assert.Equal(20, measured["kvs.fill.keys_remaining"]);
        }

        _clock.Fake.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await _clock.TimersCreated.WaitAsync(Parked));
        _clock.Fake.Advance(TimeSpan.FromSeconds(1));
        await copy.WaitAsync(Parked);
        lock (measured)
        {
            Assert.Equal(30, measured["kvs.fill.keys_copied"]);
            Assert.Equal(0, measured["kvs.fill.keys_remaining"]);
        }
    }

    [Fact]
    public async Task A_cancelled_copy_leaves_nothing_counted_as_remaining()
    {
        long remaining = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument == _kit.Telemetry.FillKeysRemaining)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref remaining, value));
        listener.Start();
        KeyValueStore store = FillKit.StoreWith(Enumerable.Range(0, 30).Select(i => $"key-{i}"));
        FillSource source = _kit.Source(store, _learners, _clock, o =>
        {
            o.FillKeysPerSecond = 10;
            o.FillBatchKeys = 10;
        });
        using var cancel = new CancellationTokenSource();

        Task<FillResult> copy = source.CopyAsync(FillKit.OneSourceOneLearner(Source, Learner), Source, cancel.Token);
        Assert.True(await _clock.TimersCreated.WaitAsync(Parked));
        Assert.Equal(20, Interlocked.Read(ref remaining));
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => copy.WaitAsync(Parked));
        Assert.Equal(0, Interlocked.Read(ref remaining));
        Assert.False(source.Progress.Running);

        // The next copy is not blocked by the cancelled one; with the clock far ahead it catches up
        // without waiting again.
        Task<FillResult> again = source.CopyAsync(FillKit.OneSourceOneLearner(Source, Learner), Source, CancellationToken.None);
        Assert.True(await _clock.TimersCreated.WaitAsync(Parked));
        _clock.Fake.Advance(TimeSpan.FromSeconds(10));
        FillResult result = await again.WaitAsync(Parked);
        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(30, result.KeysCopied);
    }

    public void Dispose() => _kit.Dispose();
}
