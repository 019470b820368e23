using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>What the fill runner sees: a copy that reached every learner is true, one that did not is
/// false, and the end of a fill forgets its remembered deletes.</summary>
public sealed class FillWorkTests : IDisposable
{
    private static readonly PlacedMember Source = FillKit.Member(0);
    private static readonly PlacedMember Learner = FillKit.Member(1);

    private readonly FillKit _kit = new();
    private readonly FakeLearners _learners = new();
    private readonly FillTombstones _tombstones = new();

    private FillWork WorkOn(KeyValueStore store) =>
        new(_kit.Source(store, _learners), new ReplicaCleanup(store, new KeysInFlight()), _tombstones, store);

    [Fact]
    public async Task A_copy_is_true_only_when_every_learner_took_it()
    {
        KeyValueStore store = FillKit.StoreWith(["a", "b"]);
        PlacementMap map = FillKit.OneSourceOneLearner(Source, Learner);

        Assert.True(await WorkOn(store).CopyToLearnersAsync(map, Source, CancellationToken.None));
        _learners.Fault = (learner, _) => FakeLearners.Down(learner);
        Assert.False(await WorkOn(store).CopyToLearnersAsync(map, Source, CancellationToken.None));
    }

    [Fact]
    public void Ending_the_fill_forgets_its_deletes()
    {
        _tombstones.Remember("k", 3);

        WorkOn(new KeyValueStore()).EndFill();

        Assert.False(_tombstones.Covers("k", 1));
    }

    public void Dispose() => _kit.Dispose();
}
