using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Tests.Api;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Peers.Lanes;

/// <summary>
/// Replicated writes and heartbeats between two real nodes, on the lanes that carry forwards: node 1
/// plays the primary, node 0 a replica whose receiver records what arrives and answers as each test
/// says. What must hold: every field arrives intact, each caller gets its own answer however many
/// share the lane, and a frame that fails its MAC or its format reaches no receiver.
/// </summary>
public sealed class ReplicationLaneTests : IClassFixture<ReplicationLaneTests.ReplicaAndPrimary>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TestCluster _cluster;
    private readonly RecordingReplicaReceiver _replica;
    private readonly ReplicationCalls _primary;

    public ReplicationLaneTests(ReplicaAndPrimary fixture)
    {
        _cluster = fixture.Cluster;
        _replica = fixture.Replica;
        _replica.Reset();
        _primary = _cluster[1].Services.GetRequiredService<ReplicationCalls>();
    }

    private string Replica => _cluster[0].Address;

    private string Primary => _cluster[1].Address;

    [Theory]
    [InlineData(KeyOperation.Put, "ключ/with spaces?&", "värde ✓")]
    [InlineData(KeyOperation.Put, "empty-value", "")]
    [InlineData(KeyOperation.Delete, "deleted", null)]
    public async Task A_replicated_write_reaches_the_replica_intact_and_its_answer_comes_back(KeyOperation operation, string key, string? value)
    {
        long version = (7L << 40) | 3;
        _replica.AnswerWrite = _ => new ReplicaAck(ReplicaAckKind.StaleEpoch, 9);

        ReplicaAck ack = await _primary.ReplicateAsync(Replica, epoch: 7, version, operation, key, Encoding.UTF8.GetBytes(value ?? "not sent with a delete"), watermark: version - 1, Patience);

        Assert.Equal(new ReplicaAck(ReplicaAckKind.StaleEpoch, 9), ack);
        RecordingReplicaReceiver.Write write = Assert.Single(_replica.Writes);
        Assert.Equal(Primary, write.Sender);
        Assert.Equal(7, write.Epoch);
        Assert.Equal(version, write.Version);
        Assert.Equal(operation, write.Operation);
        Assert.Equal(key, write.Key);
        Assert.Equal(value ?? "", Encoding.UTF8.GetString(write.Value));
        Assert.Equal(version - 1, write.Watermark);
    }

    [Fact]
    public async Task A_heartbeat_reaches_the_peer_and_its_lease_answer_comes_back()
    {
        _replica.AnswerHeartbeat = _ => new LeaseAnswer(Granted: true, PeerEpoch: 12);

        LeaseAnswer answer = await _primary.HeartbeatAsync(Replica, epoch: 12, watermark: 99, Patience);

        Assert.Equal(new LeaseAnswer(Granted: true, PeerEpoch: 12), answer);
        Assert.Equal(new RecordingReplicaReceiver.Heartbeat(Primary, 12, 99), Assert.Single(_replica.Heartbeats));
    }

    [Fact]
    public async Task A_node_outside_replicated_mode_holds_no_replicas_and_grants_no_lease()
    {
        // Node 1 runs the product's replica receiver, but with one copy per key it has no configuration.
        ReplicationCalls fromReplica = _cluster[0].Services.GetRequiredService<ReplicationCalls>();

        ReplicaAck ack = await fromReplica.ReplicateAsync(Primary, 1, 1, KeyOperation.Put, "k", "v"u8.ToArray(), 0, Patience);
        LeaseAnswer lease = await fromReplica.HeartbeatAsync(Primary, 1, 0, Patience);

        Assert.Equal(new ReplicaAck(ReplicaAckKind.NotReplica, 0), ack);
        Assert.Equal(new LeaseAnswer(Granted: false, PeerEpoch: 0), lease);
    }

    [Fact]
    public async Task The_replicas_span_joins_the_primarys_trace()
    {
        using var app = new ActivitySource("ShardedKvs.Tests.Primary");
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == NodeTelemetry.Name || source == app,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        long version = (3L << 40) | 1;

        Activity write;
        using (write = app.StartActivity("write")!)
        {
            Assert.Equal(ReplicaAckKind.Applied, (await _primary.ReplicateAsync(Replica, 3, version, KeyOperation.Put, "traced", "v"u8.ToArray(), 0, Patience)).Kind);
        }

        Activity replicate = Assert.Single(stopped, s => s.OperationName == "kvs.replicate" && s.TraceId == write.TraceId);
        Assert.Equal(write.SpanId, replicate.ParentSpanId);
        Assert.Equal(3L, replicate.GetTagItem("kvs.epoch"));
        Assert.Equal(version, replicate.GetTagItem("kvs.version"));
        RecordingReplicaReceiver.Span? served = Assert.Single(_replica.Writes).RunningUnder;
        Assert.Equal(new RecordingReplicaReceiver.Span("kvs.replicated", write.TraceId, replicate.SpanId), served);
    }

    [Fact]
    public async Task Many_replicates_heartbeats_and_forwards_sharing_the_lane_each_get_their_own_answer()
    {
        // Each answer is made from its own request, so an answer delivered to the wrong caller shows.
        _replica.AnswerWrite = write => new ReplicaAck(write.Version % 2 == 0 ? ReplicaAckKind.Applied : ReplicaAckKind.AlreadyNewer, write.Version);
        _replica.AnswerHeartbeat = heartbeat => new LeaseAnswer(heartbeat.Watermark % 2 == 0, heartbeat.Watermark);
        PeerClient forwards = _cluster[1].Services.GetRequiredService<PeerClient>();
        long epoch = _cluster[1].Snapshot.Current.Epoch;
        const int Callers = 32;
        const int CallsEach = 12;

        await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            for (int call = 0; call < CallsEach; call++)
            {
                long unique = (caller * 1000) + call;
                switch ((caller + call) % 3)
                {
                    case 0:
                        ReplicaAck ack = await _primary.ReplicateAsync(Replica, epoch, unique, KeyOperation.Put, $"r-{unique}", Encoding.UTF8.GetBytes($"v-{unique}"), unique, Patience);
                        Assert.Equal(new ReplicaAck(unique % 2 == 0 ? ReplicaAckKind.Applied : ReplicaAckKind.AlreadyNewer, unique), ack);
                        break;
                    case 1:
                        LeaseAnswer lease = await _primary.HeartbeatAsync(Replica, epoch, unique, Patience);
                        Assert.Equal(new LeaseAnswer(unique % 2 == 0, unique), lease);
                        break;
                    default:
                        string key = Keys.OwnedBy(_cluster[0], "shared-lane");
                        KeyOutcome put = await forwards.ForwardAsync(Replica, epoch, KeyOperation.Put, key, Encoding.UTF8.GetBytes($"v-{unique}"));
                        Assert.Equal(OutcomeKind.Created, put.Kind);
                        KeyOutcome get = await forwards.ForwardAsync(Replica, epoch, KeyOperation.Get, key, null);
                        Assert.Equal($"v-{unique}", Encoding.UTF8.GetString(get.Value.Span));
                        break;
                }
            }
        })));

        RecordingReplicaReceiver.Write[] writes = [.. _replica.Writes];
        Assert.Equal(Callers * CallsEach / 3, writes.Length);
        Assert.All(writes, write => Assert.Equal(($"r-{write.Version}", $"v-{write.Version}", write.Version), (write.Key, Encoding.UTF8.GetString(write.Value), write.Watermark)));
        Assert.Equal(Callers * CallsEach / 3, _replica.Heartbeats.Count);
    }

    [Fact]
    public async Task Forwards_replicates_and_heartbeats_are_verified_in_one_mac_sequence_and_answered_in_order()
    {
        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], Primary, TestCluster.ClusterKey);
        _replica.AnswerHeartbeat = _ => new LeaseAnswer(Granted: true, PeerEpoch: 4);

        uint get = await lane.SendAsync(KeyOperation.Get, Keys.OwnedBy(_cluster[0], "absent"));
        uint replicate = await lane.SendReplicateAsync(KeyOperation.Put, "k", "v", epoch: 4, version: 5, watermark: 3);
        uint heartbeat = await lane.SendHeartbeatAsync(epoch: 4, watermark: 3);

        var forwarded = await lane.ReadAnswerAsync();
        Assert.Equal((get, OutcomeKind.NotFound), (forwarded?.Id, forwarded?.Kind));
        Assert.Equal((replicate, new ReplicaAck(ReplicaAckKind.Applied, 1)), await lane.ReadReplicaAckAsync());
        Assert.Equal((heartbeat, new LeaseAnswer(true, 4)), await lane.ReadLeaseAnswerAsync());
        RecordingReplicaReceiver.Write write = Assert.Single(_replica.Writes);
        Assert.Equal((Primary, 4L, 5L, KeyOperation.Put, "k", "v", 3L), (write.Sender, write.Epoch, write.Version, write.Operation, write.Key, Encoding.UTF8.GetString(write.Value), write.Watermark));
    }

    [Fact]
    public async Task A_replicate_with_a_wrong_mac_closes_the_lane_and_reaches_no_receiver()
    {
        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], Primary, TestCluster.ClusterKey);
        using var forged = new LaneMac(new byte[32]);

        await lane.SendReplicateAsync(KeyOperation.Put, "planted", "v", mac: forged);

        Assert.Null(await lane.ReadReplicaAckAsync());
        Assert.Empty(_replica.Writes);
    }

    [Fact]
    public async Task A_heartbeat_with_a_wrong_mac_closes_the_lane_and_reaches_no_receiver()
    {
        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], Primary, TestCluster.ClusterKey);
        using var forged = new LaneMac(new byte[32]);

        await lane.SendHeartbeatAsync(mac: forged);

        Assert.Null(await lane.ReadLeaseAnswerAsync());
        Assert.Empty(_replica.Heartbeats);
    }

    [Fact]
    public async Task A_replayed_replicate_closes_the_lane_and_reaches_the_receiver_once()
    {
        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], Primary, TestCluster.ClusterKey);
        await lane.SendReplicateAsync(KeyOperation.Delete, "k", null);
        Assert.NotNull(await lane.ReadReplicaAckAsync());

        await lane.ResendLastAsync();

        Assert.Null(await lane.ReadReplicaAckAsync());
        Assert.Single(_replica.Writes);
    }

    [Fact]
    public async Task A_replicate_whose_key_is_not_utf8_closes_the_lane_and_reaches_no_receiver()
    {
        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], Primary, TestCluster.ClusterKey);

        await lane.SendReplicateAsync(KeyOperation.Put, "kk", "v", alterKey: key => key[1] = 0xFF);

        Assert.Null(await lane.ReadReplicaAckAsync());
        Assert.Empty(_replica.Writes);
    }

    /// <summary>Node 0 records what it receives as a replica; node 1 has the product's receiver, in one-copy mode.</summary>
    public sealed class ReplicaAndPrimary : IAsyncLifetime
    {
        public RecordingReplicaReceiver Replica { get; } = new();

        public TestCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(
            nodes: 2, settings: RoundOne.Settings(), configure: (i, builder) =>
            {
                if (i == 0)
                {
                    builder.Services.AddSingleton<IReplicaReceiver>(Replica);
                }
            });

        public async Task DisposeAsync() => await Cluster.DisposeAsync();
    }
}
