using System.Collections.Concurrent;
using System.Diagnostics;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Ring;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>The source side of a fill against in-memory learners: who sends what to whom, in which
/// order, and what happens when a learner fails.</summary>
public sealed class FillSourceTests : IDisposable
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 3_000).Select(i => $"key-{i}")];
    private static readonly PlacedMember Source = FillKit.Member(0);
    private static readonly PlacedMember Learner = FillKit.Member(1);

    private readonly FillKit _kit = new();
    private readonly FakeLearners _learners = new();

    /// <summary>Before the fill, every member holds the keys the formed configuration placed on it.</summary>
    private static Dictionary<PlacedMember, KeyValueStore> StoresAsFormed(int nodes, int replicationFactor)
    {
        PlacementMap formed = FillKit.Map(Configuration.ConfigTransitionsTests.Formed(nodes, replicationFactor));
        return Enumerable.Range(0, nodes).Select(FillKit.Member).ToDictionary(
            m => m,
            m => FillKit.StoreWith(Keys.Where(k => formed.HoldsCopy(m, StableHash.Of(k)))));
    }

    [Theory]
    [InlineData(5, 3, 2)]
    [InlineData(4, 3, 3)]
    [InlineData(4, 2, 0)]
    [InlineData(5, 3, 3, 4)]
    public async Task Only_primaries_send_and_every_learner_gets_every_key_once(int nodes, int replicationFactor, params int[] excluded)
    {
        PlacementMap map = FillKit.Map(FillKit.FormedThenExcluded(nodes, replicationFactor, excluded));
        Dictionary<PlacedMember, KeyValueStore> stores = StoresAsFormed(nodes, replicationFactor);

        // Every member runs a copy, the excluded one included: only primaries may send anything.
        foreach ((PlacedMember member, KeyValueStore store) in stores)
        {
            _learners.Sender = member;
            FillResult result = await _kit.Source(store, _learners, configure: o => o.FillBatchKeys = 100).CopyAsync(map, member, CancellationToken.None);
            Assert.True(result.Succeeded, result.Failure);
            Assert.Equal(result.KeysTotal, result.KeysCopied);
        }

        static string Named((PlacedMember Learner, string Key) copy) => $"{copy.Learner} {copy.Key}";
        var expected = new List<(PlacedMember, string)>();
        var writeSet = new PlacedMember[map.MaxWriteSet];
        foreach (string key in Keys)
        {
            ulong hash = StableHash.Of(key);
            int members = map.WriteSetOf(hash, writeSet);
            expected.AddRange(writeSet[map.InSyncCountOf(hash)..members].Select(l => (l, key)));
        }

        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(Named).Order(), _learners.Copies.Select(Named).Order());
        Assert.All(_learners.Deliveries, d => Assert.All(d.Keys, k => Assert.Equal(map.PrimaryOf(StableHash.Of(k)), d.Sender)));
        Assert.All(expected, copy => Assert.True(_learners[copy.Item1].Store.TryGet(copy.Item2, out ReadOnlyMemory<byte> value)
            && value.Span.SequenceEqual(FillKit.ValueOf(copy.Item2, 1))));
    }

    [Fact]
    public async Task Keys_with_a_single_copy_left_go_first()
    {
        // Keys that had both excluded members as replicas have one copy left; those with one, two.
        PlacementMap map = FillKit.Map(FillKit.FormedThenExcluded(5, 3, 3, 4));
        Dictionary<PlacedMember, KeyValueStore> stores = StoresAsFormed(5, 3);
        int sourcesWithBoth = 0;
        foreach (PlacedMember source in map.Config.Sources)
        {
            _learners.Deliveries.Clear();
            _learners.Sender = source;
            await _kit.Source(stores[source], _learners, configure: o => o.FillBatchKeys = 50).CopyAsync(map, source, CancellationToken.None);

            bool[] singleCopy = [.. _learners.Deliveries.SelectMany(d => d.Keys).Select(k => map.InSyncCountOf(StableHash.Of(k)) == 1)];
            int firstOther = Array.IndexOf(singleCopy, false);
            if (firstOther > 0)
            {
                sourcesWithBoth++;
            }

            if (firstOther >= 0)
            {
                Assert.DoesNotContain(true, singleCopy.Skip(firstOther));
            }
        }

        Assert.True(sourcesWithBoth > 0, "No source had both single-copy keys and others: the test shows nothing");
    }

    [Fact]
    public async Task A_batch_the_learner_fails_is_sent_again_until_it_takes_it()
    {
        _learners.Fault = (learner, attempt) => attempt <= 2 ? FakeLearners.NotYetLearned(learner) : null;
        KeyValueStore store = FillKit.StoreWith(Keys.Take(250));

        FillResult result = await _kit.Source(store, _learners, configure: o => o.FillBatchKeys = 100)
            .CopyAsync(FillKit.OneSourceOneLearner(Source, Learner), Source, CancellationToken.None);

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(3, result.Batches);
        Assert.Equal(5, _learners.Attempts);
        Assert.Equal(250, _learners[Learner].Store.Count);
        Assert.Equal(250, _learners.Copies.Count());
    }

    [Fact]
    public async Task A_learner_that_stays_down_fails_the_copy_and_is_named()
    {
        _learners.Fault = (learner, _) => FakeLearners.Down(learner);
        KeyValueStore store = FillKit.StoreWith(Keys.Take(250));

        FillResult result = await _kit.Source(store, _learners).CopyAsync(FillKit.OneSourceOneLearner(Source, Learner), Source, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(Learner, result.FailedLearner);
        Assert.Contains("connection refused", result.Failure);
        Assert.Equal(0, result.KeysCopied);
        Assert.Equal(250, result.KeysTotal);
        Assert.Equal(0, _learners[Learner].Store.Count);
    }

    [Fact]
    public async Task A_learner_busy_past_the_batch_deadline_fails_the_copy()
    {
        _learners.Fault = (learner, _) => new FillAnswer(FillAnswerKind.TimedOut, Error: $"{learner} did not answer in time");
        KeyValueStore store = FillKit.StoreWith(Keys.Take(10));

        FillResult result = await _kit.Source(store, _learners, configure: o => o.BatchDeadline = TimeSpan.FromMilliseconds(300))
            .CopyAsync(FillKit.OneSourceOneLearner(Source, Learner), Source, CancellationToken.None);

        Assert.Equal(Learner, result.FailedLearner);
        Assert.Contains("did not take a batch within", result.Failure);
        Assert.True(_learners.Attempts > 1, "a busy learner is tried more than once");
    }

    [Fact]
    public async Task A_learner_that_refuses_a_batch_as_malformed_fails_the_copy_at_once()
    {
        _learners.Fault = (learner, _) => new FillAnswer(FillAnswerKind.Rejected, Error: "Malformed fill batch: the body ends inside the entry");
        KeyValueStore store = FillKit.StoreWith(Keys.Take(10));

        FillResult result = await _kit.Source(store, _learners).CopyAsync(FillKit.OneSourceOneLearner(Source, Learner), Source, CancellationToken.None);

        Assert.Equal(Learner, result.FailedLearner);
        Assert.Contains("Malformed fill batch", result.Failure);
        Assert.Equal(1, _learners.Attempts);
    }

    [Fact]
    public async Task Values_are_read_when_their_batch_is_sent()
    {
        KeyValueStore store = FillKit.StoreWith(Keys.Take(30));
        string? deleted = null;
        string? rewritten = null;
        _learners.BeforeApply = (_, entries) =>
        {
            if (deleted is null)
            {
                // While the first batch is applied, change two keys that are not in it.
                string[] later = [.. Keys.Take(30).Except(entries.Select(e => e.Key))];
                (deleted, rewritten) = (later[0], later[1]);
                store.Remove(deleted);
                store.PutIfNewer(rewritten, FillKit.ValueOf(rewritten, 2), 2);
            }
        };

        // 30 keys in batches of 10: the first batch is applied before the last one is built.
        FillResult result = await _kit.Source(store, _learners, configure: o => o.FillBatchKeys = 10)
            .CopyAsync(FillKit.OneSourceOneLearner(Source, Learner), Source, CancellationToken.None);

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(1, result.KeysSkipped);
        Assert.Equal(29, result.KeysCopied);
        KeyValueStore learner = _learners[Learner].Store;
        Assert.False(learner.Contains(deleted!));
        Assert.True(learner.TryGet(rewritten!, out ReadOnlyMemory<byte> value, out long version));
        Assert.Equal(2, version);
        Assert.Equal(FillKit.ValueOf(rewritten!, 2), value.ToArray());
    }

    [Fact]
    public async Task Batches_are_bounded_in_keys_and_in_bytes()
    {
        var store = new KeyValueStore();
        byte[] big = new byte[10_000];
        foreach (string key in Keys.Take(40))
        {
            store.PutIfNewer(key, big, 1);
        }

        store.PutIfNewer("huge", new byte[100_000], 1);
        FillResult result = await _kit.Source(store, _learners, configure: o =>
        {
            o.FillBatchKeys = 7;
            o.FillBatchBytes = 35_000;
        }).CopyAsync(FillKit.OneSourceOneLearner(Source, Learner), Source, CancellationToken.None);

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(41, result.KeysCopied);
        Assert.All(_learners.Deliveries, d => Assert.True(d.Keys.Count <= 3 || (d.Keys.Count == 1 && d.Keys[0] == "huge")));
        Assert.Contains(_learners.Deliveries, d => d.Keys.SequenceEqual(["huge"]));
        Assert.Equal(41, _learners[Learner].Store.Count);
    }

    [Fact]
    public async Task A_late_copy_does_not_bring_back_a_key_deleted_during_the_fill()
    {
        KeyValueStore store = FillKit.StoreWith(Keys.Take(20));
        FakeLearner learner = _learners[Learner];
        string doomed = Keys[3];
        _learners.BeforeApply = (_, entries) =>
        {
            if (entries.Any(e => e.Key == doomed))
            {
                // The primary deletes the key after it read it for the batch, and replicates the
                // delete, which reaches the learner before the batch does.
                store.RemoveIfOlderThan(doomed, 2);
                learner.ApplyReplicatedDelete(doomed, 2);
            }
        };

        FillResult result = await _kit.Source(store, _learners).CopyAsync(FillKit.OneSourceOneLearner(Source, Learner), Source, CancellationToken.None);

        Assert.True(result.Succeeded, result.Failure);
        Assert.False(store.Contains(doomed));
        Assert.False(learner.Store.Contains(doomed));
        Assert.Equal(19, learner.Store.Count);
    }

    [Fact]
    public async Task A_copy_is_one_fill_span_with_a_child_span_per_batch()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == NodeTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        KeyValueStore store = FillKit.StoreWith(Keys.Take(25));

        using (var test = new Activity("test").Start())
        {
            await _kit.Source(store, _learners, configure: o => o.FillBatchKeys = 10).CopyAsync(FillKit.OneSourceOneLearner(Source, Learner), Source, CancellationToken.None);
        }

        Activity fill = spans.Single(s => s.OperationName == "kvs.fill" && s.Tags.Any(t => t.Key == "kvs.source" && t.Value == Source.ToString()) && s.GetTagItem("kvs.keys_total") is 25L);
        Activity[] batches = [.. spans.Where(s => s.ParentSpanId == fill.SpanId)];
        Assert.Equal(3, batches.Length);
        Assert.All(batches, b => Assert.Equal("kvs.fill.batch", b.OperationName));
        Assert.All(batches, b => Assert.Equal(Learner.ToString(), b.GetTagItem("kvs.learner")));
        Assert.Equal([10, 10, 5], batches.Select(b => (int)b.GetTagItem("kvs.keys")!));
        Assert.All(batches, b => Assert.True((int)b.GetTagItem("kvs.bytes")! > 0));
    }

    public void Dispose() => _kit.Dispose();
}
