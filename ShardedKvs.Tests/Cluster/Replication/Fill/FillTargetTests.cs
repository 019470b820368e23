using System.Text;
using ShardedKvs.Node.Cluster.Replication.Fill;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>The learner's side: a copied key never overwrites a newer write or undoes a newer
/// delete, a batch applied twice changes nothing, and a malformed batch applies nothing.</summary>
public sealed class FillTargetTests
{
    private readonly FakeLearner _learner = new();

    private static byte[] Batch(params (string Key, long Version, string Value)[] entries)
    {
        var writer = new FillBatchWriter(1000, 1 << 20);
        foreach ((string key, long version, string value) in entries)
        {
            writer.TryAdd(key, version, Encoding.UTF8.GetBytes(value));
        }

        return writer.Build().Body.ToArray();
    }

    private string? ValueAt(string key, out long version) =>
        _learner.Store.TryGet(key, out ReadOnlyMemory<byte> value, out version) ? Encoding.UTF8.GetString(value.Span) : null;

    [Fact]
    public void Copies_apply_only_over_older_versions()
    {
        _learner.ApplyReplicatedPut("newer", "replicated"u8, 9);
        _learner.ApplyReplicatedPut("older", "replicated"u8, 2);

        FillApplyResult result = _learner.Target.Apply(Batch(("newer", 5, "copied"), ("older", 5, "copied"), ("absent", 5, "copied")));

        Assert.Equal(new FillApplyResult(2, 1, null), result);
        Assert.Equal("replicated", ValueAt("newer", out long newer));
        Assert.Equal(9, newer);
        Assert.Equal("copied", ValueAt("older", out long older));
        Assert.Equal(5, older);
        Assert.Equal("copied", ValueAt("absent", out _));
    }

    [Fact]
    public void A_batch_applied_twice_changes_nothing_the_second_time()
    {
        byte[] batch = Batch(("a", 3, "x"), ("b", 4, "y"));
        Assert.Equal(2, _learner.Target.Apply(batch).Applied);
        _learner.ApplyReplicatedPut("a", "z"u8, 6);

        Assert.Equal(new FillApplyResult(0, 2, null), _learner.Target.Apply(batch));
        Assert.Equal("z", ValueAt("a", out _));
        Assert.Equal("y", ValueAt("b", out _));
    }

    [Fact]
    public void A_copy_older_than_a_remembered_delete_does_not_bring_the_key_back()
    {
        _learner.ApplyReplicatedDelete("gone", 7);
        _learner.ApplyReplicatedDelete("back", 3);

        FillApplyResult result = _learner.Target.Apply(Batch(("gone", 6, "stale"), ("gone-too", 7, "x"), ("back", 5, "rewritten")));

        Assert.Null(ValueAt("gone", out _));
        Assert.Equal("rewritten", ValueAt("back", out _));
        Assert.Equal(2, result.Applied);
    }

    [Fact]
    public void A_remembered_delete_of_a_key_beyond_ascii_also_keeps_its_older_copy_out()
    {
        // The learner reads keys as UTF-8 bytes from the batch and the replica remembers deletes by string.
        _learner.ApplyReplicatedDelete("ключ-🔑", 7);
        _learner.ApplyReplicatedDelete("ключ-🔒", 3);

        FillApplyResult result = _learner.Target.Apply(Batch(("ключ-🔑", 6, "stale"), ("ключ-🔒", 5, "rewritten")));

        Assert.Null(ValueAt("ключ-🔑", out _));
        Assert.Equal("rewritten", ValueAt("ключ-🔒", out _));
        Assert.Equal(1, result.Applied);
    }

    [Fact]
    public void Tombstones_keep_the_newest_delete_and_are_forgotten_on_clear()
    {
        var tombstones = new FillTombstones();
        tombstones.Remember("k", 8);
        tombstones.Remember("k", 4);

        Assert.True(tombstones.Covers("k", 8));
        Assert.False(tombstones.Covers("k", 9));
        Assert.False(tombstones.Covers("other", 1));
        tombstones.Clear();
        Assert.False(tombstones.Covers("k", 1));
        Assert.Equal(0, tombstones.Count);
    }

    [Fact]
    public void A_malformed_batch_applies_nothing_even_from_its_good_entries()
    {
        byte[] good = Batch(("first", 1, "x"), ("second", 1, "y"));

        FillApplyResult result = _learner.Target.Apply(good.AsMemory(..^1));

        Assert.NotNull(result.Malformed);
        Assert.Equal(0, _learner.Store.Count);
    }
}
