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

    private sealed class StillLog : IConfigLog
    {
        public ClusterConfig? Latest => null;

        public bool Learn(ClusterConfig decided) => false;

        public Task<ProposeResult> ProposeAsync(ConfigChange change, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task CatchUpAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
