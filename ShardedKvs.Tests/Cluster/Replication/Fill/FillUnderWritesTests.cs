using System.Text;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>
/// A copy racing live writes: the primary keeps ordering puts and deletes of the same keys and sends
/// each to the learner (as the replication path will), while the fill copies the same keys. When both
/// are done the learner must hold exactly what the primary holds: no copy may overwrite a newer
/// write or bring back a deleted key.
/// </summary>
public sealed class FillUnderWritesTests(ITestOutputHelper output) : IDisposable
{
    private const int KeyCount = 500;
    private const int Writers = 2;
    private const int WritesPerWriter = 50_000;

    private static readonly PlacedMember Source = FillKit.Member(0);
    private static readonly PlacedMember Learner = FillKit.Member(1);

    private readonly FillKit _kit = new();
    private readonly FakeLearners _learners = new();
    private readonly KeyValueStore _primary = new();
    private readonly KeysInFlight _primaryStripes = new();
    private long _lastVersion;

    [Fact]
    public async Task Concurrent_writes_during_a_copy_are_never_lost_or_undone_on_the_learner()
    {
        int seed = FaultSeed.Choose();
        output.WriteLine($"seed {seed} (replay with {FaultSeed.Variable}={seed})");
        await FaultSeed.ReplayableAsync(seed, async () =>
        {
            // Written before the learner joined: only the copy brings these to it.
            var preload = new Random(seed);
            for (int i = 0; i < KeyCount; i++)
            {
                Write(preload, $"key-{i}", delete: false, replicate: false);
            }

            FakeLearner learner = _learners[Learner];

            FillSource source = _kit.Source(_primary, _learners, configure: o => o.FillBatchKeys = 50);
            using var gate = new ManualResetEventSlim();
            Task[] writers = [.. Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
            {
                var random = new Random(seed + w + 1);
                gate.Wait();
                for (int n = 0; n < WritesPerWriter; n++)
                {
                    // A few keys the walk never saw (created during the copy), mostly ones it did.
                    string key = $"key-{random.Next(KeyCount + (KeyCount / 10))}";
                    Write(random, key, delete: random.Next(100) < 30, replicate: true);
                }
            }))];

            // The copy runs again and again while the writers run (as a fill restarted by newer
            // configurations would), so that many copies race many writes.
            Task writing = Task.WhenAll(writers);
            PlacementMap map = FillKit.OneSourceOneLearner(Source, Learner);
            gate.Set();
            int copies = 0;
            long copied = 0;
            long skipped = 0;
            do
            {
                FillResult result = await source.CopyAsync(map, Source, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));
                Assert.True(result.Succeeded, result.Failure);
                copies++;
                copied += result.KeysCopied;
                skipped += result.KeysSkipped;
            }
            while (!writing.IsCompleted);

            await writing;
            output.WriteLine($"{copies} copies: {copied} keys copied, {skipped} skipped (deleted since the walk); learner remembered {learner.Tombstones.Count} deletes");
            AssertSame(_primary, learner.Store);
        });
    }

    /// <summary>The primary's side of one write: ordered under the key's stripe, versioned, sent to
    /// the learner, applied here.</summary>
    private void Write(Random random, string key, bool delete, bool replicate)
    {
        lock (_primaryStripes.StripeFor(StableHash.Of(key)))
        {
            long version = Interlocked.Increment(ref _lastVersion);
            if (delete)
            {
                if (replicate)
                {
                    _learners[Learner].ApplyReplicatedDelete(key, version);
                }

                _primary.RemoveIfOlderThan(key, version);
            }
            else
            {
                byte[] value = Encoding.UTF8.GetBytes($"{key}@{version}/{random.Next()}");
                if (replicate)
                {
                    _learners[Learner].ApplyReplicatedPut(key, value, version);
                }

                _primary.PutIfNewer(key, value, version);
            }
        }
    }

    private static void AssertSame(KeyValueStore primary, KeyValueStore learner)
    {
        var expected = primary.Entries.ToDictionary(e => e.Key, e => (e.Version, Value: Encoding.UTF8.GetString(e.Value.Span)));
        var actual = learner.Entries.ToDictionary(e => e.Key, e => (e.Version, Value: Encoding.UTF8.GetString(e.Value.Span)));
        string[] resurrected = [.. actual.Keys.Except(expected.Keys).Take(5)];
        string[] missing = [.. expected.Keys.Except(actual.Keys).Take(5)];
        string[] stale = [.. expected.Where(e => actual.TryGetValue(e.Key, out var a) && a != e.Value).Select(e => $"{e.Key}: {actual[e.Key]} instead of {e.Value}").Take(5)];
        Assert.True(resurrected.Length + missing.Length + stale.Length == 0,
            $"learner differs from primary: deleted keys back {string.Join(", ", resurrected)}; missing {string.Join(", ", missing)}; stale {string.Join("; ", stale)}");
    }

    public void Dispose() => _kit.Dispose();
}
