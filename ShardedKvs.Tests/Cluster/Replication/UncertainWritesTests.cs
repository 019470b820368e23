using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Storage;

namespace ShardedKvs.Tests.Cluster.Replication;

public class UncertainWritesTests
{
    private static readonly PlacedMember Primary = new("p:1", 1);
    private static readonly PlacedMember Other = new("q:1", 1);

    [Fact]
    public void A_write_stays_uncertain_until_its_primary_settles_it_and_only_the_newest_version_is_kept()
    {
        var uncertain = new UncertainWrites();
        uncertain.Applied(Primary, "a", 10);
        uncertain.Applied(Primary, "b", 11);
        uncertain.Applied(Primary, "a", 12);
        uncertain.Applied(Other, "c", 5);

        Assert.Equal([("a", 12L), ("b", 11L)], uncertain.Of(Primary).OrderBy(e => e.Key));
        uncertain.Settled(Primary, 11);
        Assert.Equal([("a", 12L)], uncertain.Of(Primary));
        uncertain.Settled(Primary, 9); // an older watermark changes nothing
        Assert.Equal([("a", 12L)], uncertain.Of(Primary));
        uncertain.Applied(Primary, "d", 8); // below the watermark: settled already
        uncertain.Settled(Primary, 12);
        Assert.Empty(uncertain.Of(Primary));
        Assert.Equal([("c", 5L)], uncertain.Of(Other));
    }

    [Fact]
    public void An_in_sync_replica_tells_a_new_primary_each_keys_copy_or_the_delete_it_applied_last()
    {
        var uncertain = new UncertainWrites();
        var store = new KeyValueStore();
        uncertain.Applied(Primary, "put", 10);
        store.PutIfNewer("put", "v10"u8, 10);
        uncertain.Applied(Primary, "deleted", 11); // a delete: the key is gone from the store
        uncertain.Applied(Other, "put", 13);
        store.PutIfNewer("put", "v13"u8, 13);
        uncertain.Applied(Primary, "settled", 12);
        store.PutIfNewer("settled", "v12"u8, 12);
        uncertain.Reconciled(Primary, "settled", 12);

        Assert.Equal([("deleted", 11L, null), ("put", 13L, "v13")], Told(uncertain.AsHeld(store, _ => true)));
    }

    [Fact]
    public void A_learner_tells_only_the_copies_that_are_exactly_writes_it_applied_never_an_absence()
    {
        var uncertain = new UncertainWrites();
        var store = new KeyValueStore();
        uncertain.Applied(Primary, "applied", 10);
        store.PutIfNewer("applied", "v10"u8, 10);
        uncertain.Applied(Primary, "dropped", 11); // then dropped as a leftover: not a delete
        uncertain.Applied(Primary, "refilled", 12);
        store.PutIfNewer("refilled", "copy"u8, 14); // a fill copy, not the write it applied

        Assert.Equal([("applied", 10L, "v10")], Told(uncertain.AsHeld(store, _ => false)));
    }

    private static List<(string Key, long Version, string? Value)> Told(IReadOnlyList<ShardedKvs.Node.Cluster.Peers.HeldWrite> held) =>
        [.. held.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => (w.Key, w.Version, w.Value is null ? null : System.Text.Encoding.UTF8.GetString(w.Value)))];

    [Fact]
    public void A_reconciled_write_of_a_dead_primary_is_no_longer_uncertain_unless_a_newer_one_arrived()
    {
        var uncertain = new UncertainWrites();
        uncertain.Applied(Primary, "a", 10);
        uncertain.Applied(Primary, "b", 11);

        uncertain.Reconciled(Primary, "a", 10);
        uncertain.Reconciled(Primary, "b", 9); // the copy sent was older than what is held: keep it

        Assert.Equal([("b", 11L)], uncertain.Of(Primary));
        uncertain.Reconciled(Primary, "b", 11);
        Assert.Empty(uncertain.Of(Primary));
    }

    [Fact]
    public async Task Concurrent_writes_and_watermarks_leave_exactly_the_unsettled_keys()
    {
        var uncertain = new UncertainWrites();
        long next = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                long version = Interlocked.Increment(ref next);
                uncertain.Applied(Primary, $"key-{version % 500}", version);
                if (i % 100 == 0)
                {
                    uncertain.Settled(Primary, Math.Max(0, Interlocked.Read(ref next) - 1_000));
                }
            }
        })));

        uncertain.Settled(Primary, next - 100);
        var left = uncertain.Of(Primary);
        Assert.All(left, e => Assert.True(e.Version > next - 100));
        Assert.Equal(100, left.Count); // versions next-99..next are 100 distinct keys modulo 500
    }
}
