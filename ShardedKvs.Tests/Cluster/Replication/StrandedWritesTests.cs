using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ShardedKvs.Node;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;
using static ShardedKvs.Tests.Cluster.Configuration.ConfigTransitionsTests;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// A replica holding a write of a primary that was excluded before it finished it (it may have reached
/// this replica and no other) sends its copy of the key to the key's write set, so the copies agree
/// again: seen in <c>PartitionedPrimaryTests</c>, where a delete the cut-off primary got to one replica
/// only left the key on two nodes of three.
/// </summary>
public sealed class StrandedWritesTests
{
    private const int Tokens = 16;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);

    private readonly ClusterConfig _formed = Formed(4, 3);
    private readonly ClusterConfig _excluded;
    private readonly string _key;
    private readonly PlacedMember _self;
    private readonly PlacedMember _newPrimary;
    private readonly KeyValueStore _store = new();
    private readonly UncertainWrites _uncertain = new();
    private readonly RecordingTransport _transport = new();

    public StrandedWritesTests()
    {
        ConfigDecision exclusion = ConfigTransitions.Apply(_formed, new ConfigChange.Exclude(Member(0)));
        Assert.True(exclusion.IsDecided, exclusion.Refusal);
        _excluded = exclusion.Next!;
        var before = new PlacementMap(_formed, Tokens);
        var after = new PlacementMap(_excluded, Tokens);
        _key = Enumerable.Range(0, 10_000).Select(i => $"k{i}").First(k => before.PrimaryOf(StableHash.Of(k)) == Member(0));
        ulong hash = StableHash.Of(_key);
        _newPrimary = after.PrimaryOf(hash)!.Value;
        PlacedMember[] writeSet = new PlacedMember[after.MaxWriteSet];
        after.WriteSetOf(hash, writeSet);
        _self = writeSet.Take(after.InSyncCountOf(hash)).First(m => m != _newPrimary && m != Member(0));
    }

    [Fact]
    public async Task A_put_only_this_replica_got_is_sent_to_every_other_member_of_the_keys_write_set()
    {
        _store.PutIfNewer(_key, "only here"u8, version: 7);
        _uncertain.Applied(Member(0), _key, 7);

        Adopt(_self).OnAdopted(_state!.Snapshot.Replica!);
        await WaitUntilSettledAsync();

        Assert.Contains((_newPrimary.Address, KeyOperation.Put, 7L), _transport.Sent);
        Assert.All(_transport.Sent, s => Assert.Equal((KeyOperation.Put, 7L), (s.Operation, s.Version)));
        Assert.DoesNotContain(_transport.Sent, s => s.Target == _self.Address || s.Target == Member(0).Address);
    }

    [Fact]
    public async Task A_delete_only_this_replica_got_is_sent_as_a_delete_at_its_version()
    {
        _uncertain.Applied(Member(0), _key, 9); // applied, and the key is gone from this store

        Adopt(_self).OnAdopted(_state!.Snapshot.Replica!);
        await WaitUntilSettledAsync();

        Assert.Contains((_newPrimary.Address, KeyOperation.Delete, 9L), _transport.Sent);
    }

    [Fact]
    public void The_keys_new_primary_leaves_its_writes_to_its_takeover()
    {
        _store.PutIfNewer(_key, "here"u8, version: 7);
        _uncertain.Applied(Member(0), _key, 7);

        Adopt(_newPrimary).OnAdopted(_state!.Snapshot.Replica!);

        // Promotions' takeover reads the same records later: they must still be there, and nothing is sent.
        Assert.Contains((_key, 7L), _uncertain.Of(Member(0)));
        Assert.Empty(_transport.Sent);
    }

    [Fact]
    public void Writes_of_a_primary_that_is_still_live_are_left_to_it()
    {
        _store.PutIfNewer(_key, "here"u8, version: 7);
        _uncertain.Applied(Member(0), _key, 7);
        var state = new ClusterState(_self.Address, [.. _formed.View], Tokens);
        state.AdoptConfig(_formed, _self);

        Create(state).OnAdopted(state.Snapshot.Replica!);

        Assert.Empty(_transport.Sent);
        Assert.Contains((_key, 7L), _uncertain.Of(Member(0)));
    }

    private ClusterState? _state;

    private StrandedWrites Adopt(PlacedMember self)
    {
        _state = new ClusterState(self.Address, [.. _formed.View], Tokens);
        _state.AdoptConfig(_formed, self);
        _state.AdoptConfig(_excluded, self);
        return Create(_state);
    }

    private StrandedWrites Create(ClusterState state) =>
        new(state, _store, _uncertain, _transport, new PrimaryVersions(), new FakeTimeProvider(), Options.Create(new NodeOptions()), NullLogger<StrandedWrites>.Instance);

    private Task WaitUntilSettledAsync() =>
        Eventually.WaitUntilAsync(() => Task.FromResult(_uncertain.Of(Member(0)).Count == 0), Bounded, "the stranded write to be settled");

    /// <summary>Replicas that hold whatever they are sent, and remember it.</summary>
    private sealed class RecordingTransport : IReplicationTransport
    {
        private readonly ConcurrentQueue<(string Target, KeyOperation Operation, long Version)> _sent = new();

        public IReadOnlyCollection<(string Target, KeyOperation Operation, long Version)> Sent => _sent;

        public ValueTask<ReplicaAck> ReplicateAsync(string target, long epoch, long version, KeyOperation operation, string key, ReadOnlyMemory<byte> value, long watermark, TimeSpan timeout)
        {
            _sent.Enqueue((target, operation, version));
            return ValueTask.FromResult(new ReplicaAck(ReplicaAckKind.Applied, epoch));
        }

        public ValueTask<LeaseAnswer> HeartbeatAsync(string target, long epoch, long watermark, TimeSpan timeout) => throw new NotSupportedException();
    }
}
