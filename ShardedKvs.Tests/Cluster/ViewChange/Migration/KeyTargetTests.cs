using System.Text;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Cluster.ViewChange.Migration;
using ShardedKvs.Node.Storage;

namespace ShardedKvs.Tests.Cluster.ViewChange.Migration;

/// <summary>The target side of a view change, without HTTP: what its acknowledgement promises.</summary>
public sealed class KeyTargetTests
{
    private const string Joiner = "10.0.0.3:1";
    private readonly ClusterState _state = MigrationFixture.PreparedOn(Joiner);
    private readonly KeyValueStore _store = new();
    private readonly KeyTarget _target;

    public KeyTargetTests() => _target = new KeyTarget(_state, _store, new KeysInFlight());

    private string[] Keys(int count) => MigrationFixture.KeysMoving(_state, MigrationFixture.From[0], Joiner, count);

    private string? Value(string key) => _store.TryGet(key, out ReadOnlyMemory<byte> value) ? Encoding.UTF8.GetString(value.Span) : null;

    [Fact]
    public void An_accepted_batch_is_in_the_store()
    {
        string[] keys = Keys(2);

        Assert.Null(_target.Accept(MigrationFixture.Batch(1, (keys[0], "a"), (keys[1], "b"))));

        Assert.Equal("a", Value(keys[0]));
        Assert.Equal("b", Value(keys[1]));
    }

    [Fact]
    public void A_batch_sent_again_is_acknowledged_without_overwriting_newer_writes()
    {
        string key = Keys(1)[0];
        Assert.Null(_target.Accept(MigrationFixture.Batch(7, (key, "moved"))));
        _store.Put(key, "written after the hand-off"u8);

        Assert.Null(_target.Accept(MigrationFixture.Batch(7, (key, "moved"))));

        Assert.Equal("written after the hand-off", Value(key));
    }

    [Fact]
    public void A_discarded_batch_leaves_nothing_behind_and_cannot_be_applied_later()
    {
        string key = Keys(1)[0];
        Assert.Null(_target.Accept(MigrationFixture.Batch(3, (key, "moved"))));

        _target.Discard(MigrationFixture.Batch(3, (key, "")));
        Assert.Null(Value(key));

        // A late copy of the same batch (a retry still in the network) changes nothing.
        Assert.Null(_target.Accept(MigrationFixture.Batch(3, (key, "moved"))));
        Assert.Null(Value(key));
    }

    [Fact]
    public void A_discard_that_arrives_before_its_batch_keeps_the_batch_out()
    {
        string key = Keys(1)[0];

        _target.Discard(MigrationFixture.Batch(4, (key, "")));
        _target.Accept(MigrationFixture.Batch(4, (key, "moved")));

        Assert.Null(Value(key));
    }

    [Fact]
    public void A_batch_with_a_key_this_node_will_not_own_is_refused_whole()
    {
        string mine = Keys(1)[0];
        string notMine = MigrationFixture.KeysMoving(_state, MigrationFixture.From[0], MigrationFixture.From[0], 1)[0];

        string? refusal = _target.Accept(MigrationFixture.Batch(5, (mine, "a"), (notMine, "b")));

        Assert.NotNull(refusal);
        Assert.Contains(notMine, refusal, StringComparison.Ordinal);
        Assert.Equal(0, _store.Count);
    }

    [Fact]
    public void A_batch_for_an_epoch_this_node_is_not_preparing_is_refused()
    {
        string key = Keys(1)[0];

        string? refusal = _target.Accept(MigrationFixture.Batch(6, (key, "a")) with { Epoch = 3 });

        Assert.NotNull(refusal);
        Assert.Equal(0, _store.Count);
    }
}
