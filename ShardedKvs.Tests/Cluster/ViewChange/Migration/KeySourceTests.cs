using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ShardedKvs.Node;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Cluster.ViewChange.Migration;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Tests.Cluster.ViewChange.Migration;

/// <summary>The source side of a view change against a fake peer, without HTTP: a key leaves only
/// once its target acknowledged it, and stays, served here, when the target does not.</summary>
public sealed class KeySourceTests : IDisposable
{
    private static readonly string Self = MigrationFixture.From[0];
    private static readonly string Joiner = MigrationFixture.To[2];

    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ClusterState _state = MigrationFixture.PreparedOn(Self);
    private readonly KeyValueStore _store = new();
    private readonly KeysInFlight _inFlight = new();
    private readonly FakeBatchTransport _peer = new();
    private readonly KeySource _source;

    public KeySourceTests()
    {
        var options = Options.Create(new NodeOptions { Address = Self, MigrationBatchSize = 3, BatchDeadline = TimeSpan.FromSeconds(5) });
        var telemetry = new NodeTelemetry(_metrics.GetRequiredService<IMeterFactory>());
        _source = new KeySource(_state, _store, _inFlight, _peer, telemetry, TimeProvider.System, options, NullLogger<KeySource>.Instance);
    }

    public void Dispose() => _metrics.Dispose();

    private string[] Put(string[] keys)
    {
        foreach (string key in keys)
        {
            _store.Put(key, Encoding.UTF8.GetBytes("v-" + key));
        }

        return keys;
    }

    [Fact]
    public async Task Keys_that_change_owner_travel_in_bounded_batches_and_leave_only_once_acknowledged()
    {
        string[] moving = Put(MigrationFixture.KeysMoving(_state, Self, Joiner, 7));
        string[] staying = Put(MigrationFixture.KeysMoving(_state, Self, Self, 4, prefix: "s"));

        MigrateResult result = await _source.MigrateAsync(2, [], CancellationToken.None);

        Assert.Equal(7, result.KeysMoved);
        Assert.Equal(3, result.Batches); // 3 + 3 + 1
        Assert.All(_peer.Sent, batch => Assert.InRange(batch.Entries.Count, 1, 3));
        Assert.Equal(moving.Order(), _peer.Sent.SelectMany(b => b.Entries).Select(e => e.Key).Order());
        Assert.All(_peer.Sent.SelectMany(b => b.Entries), e => Assert.Equal("v-" + e.Key, e.Value));
        Assert.All(moving, key => Assert.False(_store.Contains(key)));
        Assert.All(staying, key => Assert.True(_store.Contains(key)));
        Assert.Equal(7, _source.MovedFor(2));
        Assert.Equal(0, _source.CountRemaining());
        Assert.All(moving, key => Assert.False(_inFlight.IsHandingOff(key, out _)));
    }

    [Fact]
    public async Task A_batch_the_target_refuses_stays_at_the_source_and_is_discarded_there()
    {
        string[] moving = Put(MigrationFixture.KeysMoving(_state, Self, Joiner, 2));
        _peer.Answer = _ => PeerCallResult.Answered(Joiner, HttpStatusCode.Conflict, "not preparing");

        MigrationFailedException failure = await Assert.ThrowsAsync<MigrationFailedException>(() => _source.MigrateAsync(2, [], CancellationToken.None));

        Assert.Equal(Joiner, failure.Target);
        Assert.Contains("not preparing", failure.Message, StringComparison.Ordinal);
        Assert.Single(_peer.Sent);
        Assert.Equal(_peer.Sent.Single().BatchId, Assert.Single(_peer.Discarded).BatchId);
        Assert.All(moving, key => Assert.True(_store.Contains(key)));
        Assert.All(moving, key => Assert.False(_inFlight.IsHandingOff(key, out _)));
        Assert.Equal(2, _source.CountRemaining());
    }

    [Fact]
    public async Task A_migration_cancelled_while_its_batch_travels_leaves_no_key_in_flight_so_a_rerun_moves_them()
    {
        string[] moving = Put(MigrationFixture.KeysMoving(_state, Self, Joiner, 2));
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _peer.AnswerAsync = async (_, cancellationToken) =>
        {
            sent.TrySetResult(); // the target stored it; its answer never comes
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        };
        using var coordinatorGone = new CancellationTokenSource();

        Task<MigrateResult> migration = _source.MigrateAsync(2, [], coordinatorGone.Token);
        await sent.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await coordinatorGone.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => migration);
        Assert.Equal(_peer.Sent.Single().BatchId, Assert.Single(_peer.Discarded).BatchId);
        Assert.All(moving, key => Assert.False(_inFlight.IsHandingOff(key, out _)));
        Assert.All(moving, key => Assert.True(_store.Contains(key)));

        _peer.AnswerAsync = null;
        MigrateResult rerun = await _source.MigrateAsync(2, [], CancellationToken.None);

        Assert.Equal(2, rerun.KeysMoved);
        Assert.All(moving, key => Assert.False(_store.Contains(key)));
    }

    [Fact]
    public async Task A_lost_answer_is_retried_with_the_same_batch_id()
    {
        string[] moving = Put(MigrationFixture.KeysMoving(_state, Self, Joiner, 2));
        int calls = 0;
        _peer.Answer = batch => Interlocked.Increment(ref calls) == 1
            ? PeerCallResult.NoAnswerFrom(Joiner, "did not answer in time")
            : FakeBatchTransport.Ok(batch);

        MigrateResult result = await _source.MigrateAsync(2, [], CancellationToken.None);

        Assert.Equal(2, result.KeysMoved);
        Assert.Equal(2, _peer.Sent.Count);
        Assert.Single(_peer.Sent.Select(b => b.BatchId).Distinct());
        Assert.Empty(_peer.Discarded);
        Assert.All(moving, key => Assert.False(_store.Contains(key)));
    }

    [Fact]
    public async Task A_target_whose_port_refuses_connections_fails_the_migration_without_waiting_out_the_deadline()
    {
        string[] moving = Put(MigrationFixture.KeysMoving(_state, Self, Joiner, 1));
        _peer.Answer = _ => PeerCallResult.RefusedBy(Joiner);

        MigrationFailedException failure = await Assert.ThrowsAsync<MigrationFailedException>(() => _source.MigrateAsync(2, [], CancellationToken.None));

        Assert.Contains("connection refused", failure.Message, StringComparison.Ordinal);
        Assert.Equal(3, _peer.Sent.Count);
        Assert.True(_store.Contains(moving[0]));
    }

    [Fact]
    public async Task Keys_meant_for_a_skipped_target_stay_and_are_counted_as_remaining()
    {
        string[] moving = Put(MigrationFixture.KeysMoving(_state, Self, Joiner, 4));

        MigrateResult result = await _source.MigrateAsync(2, [Joiner], CancellationToken.None);

        Assert.Equal(0, result.KeysMoved);
        Assert.Equal(4, result.KeysRemaining);
        Assert.Empty(_peer.Sent);
        Assert.All(moving, key => Assert.True(_store.Contains(key)));
    }
}
