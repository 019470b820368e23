using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ShardedKvs.Node;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Ring;
using static ShardedKvs.Tests.Cluster.Configuration.ConfigTransitionsTests;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>A primary's replication of one write, against replicas the test answers for.</summary>
public sealed class WriteReplicatorTests
{
    private const int Tokens = 16;

    private readonly ClusterState _state = new(Member(0).Address, [.. Enumerable.Range(0, 4).Select(i => Member(i).Address)], Tokens);
    private readonly GatedReplicas _replicas = new();
    private readonly WriteReplicator _replicator;

    public WriteReplicatorTests() =>
        _replicator = new WriteReplicator(_state, _replicas, new StillLog(), new PrimaryVersions(), new FakeTimeProvider(), Options.Create(new NodeOptions()));

    /// <summary>
    /// Seen in <c>PartitionedPrimaryTests</c> (key75): a primary cut off with a write under way learned of
    /// its exclusion only when healed, rejoined as a new member, and was the key's primary again within
    /// a second; the write, still waiting for its round's answers, then found itself on the key's
    /// primary and finished, answering "created" for a value older than the writes the takeover had
    /// let through meanwhile. It belongs to the excluded incarnation, so it is given up.
    /// </summary>
    [Fact]
    public async Task A_write_of_an_excluded_incarnation_is_given_up_even_where_the_node_is_the_keys_primary_again()
    {
        ClusterConfig formed = Formed(4, 3);
        ClusterConfig excluded = FinishFill(Decide(formed, new ConfigChange.Exclude(Member(0))));
        ClusterConfig rejoined = FinishFill(Decide(excluded, new ConfigChange.Rejoin(Member(0, incarnation: 2))));
        string key = Enumerable.Range(0, 10_000).Select(i => $"k{i}").First(k =>
            new PlacementMap(formed, Tokens).PrimaryOf(StableHash.Of(k)) == Member(0)
            && new PlacementMap(rejoined, Tokens).PrimaryOf(StableHash.Of(k)) == Member(0, incarnation: 2));
        _state.AdoptConfig(formed, Member(0));

        Task<(ReplicationResult Result, long SnapshotVersion)> writing = _replicator.ReplicateAsync(
            KeyOperation.Put, key, StableHash.Of(key), "v"u8.ToArray(), version: 1, startedAs: Member(0), CancellationToken.None).AsTask();
        Assert.Equal(2, _replicas.Received); // the write is out to both other replicas, waiting for their answers

        _state.AdoptConfig(excluded, Member(0));
        _state.AdoptConfig(rejoined, Member(0, incarnation: 2));
        _replicas.Answer(); // they hold it
        (ReplicationResult result, _) = await writing;

        Assert.Equal(ReplicationResult.Deposed, result);
    }

    [Fact]
    public async Task A_write_whose_replicas_all_answer_is_held()
    {
        ClusterConfig formed = Formed(4, 3);
        string key = Enumerable.Range(0, 10_000).Select(i => $"k{i}").First(k => new PlacementMap(formed, Tokens).PrimaryOf(StableHash.Of(k)) == Member(0));
        _state.AdoptConfig(formed, Member(0));

        Task<(ReplicationResult Result, long SnapshotVersion)> writing = _replicator.ReplicateAsync(
            KeyOperation.Put, key, StableHash.Of(key), "v"u8.ToArray(), version: 1, startedAs: Member(0), CancellationToken.None).AsTask();
        _replicas.Answer();
        (ReplicationResult result, _) = await writing;

        Assert.Equal(ReplicationResult.Held, result);
        Assert.Equal(2, _replicas.Received);
    }

    /// <summary>
    /// Seen in <c>PartitionedPrimaryTests</c> (key8): a learner of a view change's fill acknowledged a
    /// write that a cut-off replica then held up; the replica's exclusion started a new fill, which
    /// first drops what the learner holds of the keys it learns; the write finished without being sent
    /// to it again, after the new fill's copy had passed the key, and the learner became the key's
    /// primary without the acknowledged value.
    /// </summary>
    [Fact]
    public async Task A_write_held_up_across_a_new_fill_is_sent_again_to_the_learners_that_held_it()
    {
        ClusterConfig formed = Formed(4, 3);
        ClusterConfig filling = Decide(formed, new ConfigChange.ChangeView([.. Enumerable.Range(0, 5).Select(i => Member(i))]));
        var candidates =
            from candidate in Enumerable.Range(0, 10_000).Select(i => $"k{i}")
            let before = WriteSet(filling, candidate)
            where before[0] == Member(0) && before.Contains(Member(4))
            from replica in before.Skip(1).Where(m => m != Member(4))
            let excluded = Decide(filling, new ConfigChange.Exclude(replica))
            where excluded.IsFilling && excluded.FillEpoch != filling.FillEpoch
                && WriteSet(excluded, candidate) is [var primary, ..] after && primary == Member(0) && after.Contains(Member(4))
            select (candidate, replica, excluded);
        (string key, PlacedMember cutOff, ClusterConfig excludedConfig) = candidates.First();
        var replicas = new HeldUpReplicas(cutOff.Address, newerEpoch: excludedConfig.Epoch);
        var replicator = new WriteReplicator(_state, replicas, new StillLog(), new PrimaryVersions(), TimeProvider.System, Options.Create(new NodeOptions()));
        _state.AdoptConfig(filling, Member(0));

        Task<(ReplicationResult Result, long SnapshotVersion)> writing = replicator.ReplicateAsync(
            KeyOperation.Put, key, StableHash.Of(key), "v"u8.ToArray(), version: 1, startedAs: Member(0), CancellationToken.None).AsTask();
        Assert.Contains((Member(4).Address, filling.Epoch), replicas.Sent); // the learner holds it; the cut-off replica keeps the round waiting
        _state.AdoptConfig(excludedConfig, Member(0));
        replicas.ReleaseCutOff();
        (ReplicationResult result, _) = await writing;

        Assert.Equal(ReplicationResult.Held, result);
        Assert.Contains((Member(4).Address, excludedConfig.Epoch), replicas.Sent);
    }

    private static PlacedMember[] WriteSet(ClusterConfig config, string key)
    {
        var map = new PlacementMap(config, Tokens);
        var members = new PlacedMember[map.MaxWriteSet];
        return members[..map.WriteSetOf(StableHash.Of(key), members)];
    }

    private static ClusterConfig Decide(ClusterConfig config, ConfigChange change)
    {
        ConfigDecision decision = ConfigTransitions.Apply(config, change);
        Assert.True(decision.IsDecided, decision.Refusal);
        return decision.Next!;
    }

    /// <summary>Replicas that take every write and answer only once the test lets them.</summary>
    private sealed class GatedReplicas : IReplicationTransport
    {
        private readonly TaskCompletionSource _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _received;

        public int Received => Volatile.Read(ref _received);

        public void Answer() => _answer.TrySetResult();

        public async ValueTask<ReplicaAck> ReplicateAsync(string target, long epoch, long version, KeyOperation operation, string key, ReadOnlyMemory<byte> value, long watermark, TimeSpan timeout)
        {
            Interlocked.Increment(ref _received);
            await _answer.Task;
            return new ReplicaAck(ReplicaAckKind.Applied, epoch);
        }

        public ValueTask<LeaseAnswer> HeartbeatAsync(string target, long epoch, long watermark, TimeSpan timeout) => throw new NotSupportedException();
    }

    /// <summary>Replicas that hold every write at once, except one cut off: its answer, once the test
    /// releases it, is that it knows a newer epoch.</summary>
    private sealed class HeldUpReplicas(string cutOff, long newerEpoch) : IReplicationTransport
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentQueue<(string Target, long Epoch)> _sent = new();

        public IReadOnlyCollection<(string Target, long Epoch)> Sent => _sent;

        public void ReleaseCutOff() => _released.TrySetResult();

        public async ValueTask<ReplicaAck> ReplicateAsync(string target, long epoch, long version, KeyOperation operation, string key, ReadOnlyMemory<byte> value, long watermark, TimeSpan timeout)
        {
            _sent.Enqueue((target, epoch));
            if (target != cutOff)
            {
                return new ReplicaAck(ReplicaAckKind.Applied, epoch);
            }

            await _released.Task;
            return new ReplicaAck(ReplicaAckKind.NotReplica, newerEpoch);
        }

        public ValueTask<LeaseAnswer> HeartbeatAsync(string target, long epoch, long watermark, TimeSpan timeout) => throw new NotSupportedException();
    }

    private sealed class StillLog : IConfigLog
    {
        public ClusterConfig? Latest => null;

        public bool Learn(ClusterConfig decided) => false;

        public Task<ProposeResult> ProposeAsync(ConfigChange change, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task CatchUpAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
