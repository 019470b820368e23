using System.Net.Sockets;
using Microsoft.Extensions.Options;
using ShardedKvs.Node;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Security;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Peers.Lanes;

/// <summary>
/// Replication's calls to a peer that is slow, silent, broken or gone: each call answers (never
/// throws) and says whether the write may have landed. A replicate that timed out leaves its lane to
/// the rest: it is sent again on the same lane, behind it, so it cannot land after a newer write. The peer is a stand-in that accepts the lane and then does only
/// what the test makes it do.
/// </summary>
public sealed class ReplicationLaneFailureTests : IDisposable
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly StandInPeer _peer = new();
    private readonly ForwardLanes _lanes;
    private readonly ReplicationCalls _calls;

    public ReplicationLaneFailureTests()
    {
        var keys = new ClusterKeys(TestCluster.ClusterKey);
        var options = Options.Create(new NodeOptions { Address = "127.0.0.1:1", ForwardTimeout = Short });
        _lanes = new ForwardLanes(keys, new RequestSigner(keys, TimeProvider.System, options), TimeProvider.System, options);
        _calls = new ReplicationCalls(_lanes, TimeProvider.System);
    }

    [Fact]
    public async Task A_replicate_not_answered_in_time_times_out_and_leaves_the_forwards_on_its_lane_alone()
    {
        ForwardLane lane = await OpenLaneAsync();
        Assert.True(lane.TrySend(KeyOperation.Put, "k", "v"u8.ToArray(), epoch: 1, traceParent: null, Deadline(Patience), out ValueTask<LaneAnswer> forwarding));
        uint forwardId = LaneProtocol.ReadRequest(await _peer.ReadFrameAsync()).Id;
        Task<ReplicaAck> replicating = ReplicateAsync(Short);
        uint replicateId = ReplicateFrameId.Of(await _peer.ReadFrameAsync()).Id;

        Assert.Equal(new ReplicaAck(ReplicaAckKind.TimedOut), await replicating);
        Assert.False(lane.IsClosed);

        // The late acknowledgement is dropped on the way; the forward still gets its answer, and the
        // replicate sent again goes on the same lane.
        await _peer.SendAsync(output =>
        {
            LaneProtocol.WriteReplicaAck(output, replicateId, new ReplicaAck(ReplicaAckKind.Applied, 5));
            LaneProtocol.WriteAnswer(output, forwardId, KeyOutcome.Created, withValue: false);
        });
        Assert.Equal(OutcomeKind.Created, (await forwarding).Outcome.Kind);
        Task<ReplicaAck> again = ReplicateAsync(Patience);
        uint againId = ReplicateFrameId.Of(await _peer.ReadFrameAsync()).Id;
        await _peer.SendAsync(output => LaneProtocol.WriteReplicaAck(output, againId, new ReplicaAck(ReplicaAckKind.AlreadyNewer, 5)));
        Assert.Equal(new ReplicaAck(ReplicaAckKind.AlreadyNewer, 5), await again);
        Assert.Same(lane, await _lanes.GetAsync(_peer.Address));
    }

    [Fact]
    public async Task A_heartbeat_not_answered_in_time_is_no_answer_and_leaves_the_lane_to_the_rest()
    {
        ForwardLane lane = await OpenLaneAsync();
        Task<LeaseAnswer> beating = HeartbeatAsync(Short);
        byte[] heartbeat = await _peer.ReadFrameAsync();
        Assert.Equal(LeaseAnswer.NoAnswer, await beating);

        // The same lane still carries a replicate, and the late lease answer is dropped on the way.
        Task<ReplicaAck> replicating = ReplicateAsync(Patience);
        ReplicateFrameId replicate = ReplicateFrameId.Of(await _peer.ReadFrameAsync());
        uint heartbeatId = LaneProtocol.ReadHeartbeat(heartbeat).Id;
        await _peer.SendAsync(output =>
        {
            LaneProtocol.WriteLeaseAnswer(output, heartbeatId, new LeaseAnswer(true, 1));
            LaneProtocol.WriteReplicaAck(output, replicate.Id, new ReplicaAck(ReplicaAckKind.Applied, 5));
        });

        Assert.Equal(new ReplicaAck(ReplicaAckKind.Applied, 5), await replicating);
        Assert.Same(lane, await _lanes.GetAsync(_peer.Address));
        Assert.False(lane.IsClosed);
    }

    [Fact]
    public async Task A_lane_that_closes_answers_its_waiting_replicate_unreachable_and_its_heartbeat_no_answer()
    {
        Task<ReplicaAck> replicating = ReplicateAsync(Patience);
        await _peer.AcceptLaneAsync();
        await _peer.ReadFrameAsync();
        Task<LeaseAnswer> beating = HeartbeatAsync(Patience);
        await _peer.ReadFrameAsync();

        _peer.CloseLane();

        Assert.Equal(new ReplicaAck(ReplicaAckKind.Unreachable), await replicating);
        Assert.Equal(LeaseAnswer.NoAnswer, await beating);
    }

    [Fact]
    public async Task An_answer_of_the_wrong_kind_closes_the_lane_and_the_replicate_is_unreachable()
    {
        Task<ReplicaAck> replicating = ReplicateAsync(Patience);
        await _peer.AcceptLaneAsync();
        uint id = ReplicateFrameId.Of(await _peer.ReadFrameAsync()).Id;

        await _peer.SendAsync(output => LaneProtocol.WriteLeaseAnswer(output, id, new LeaseAnswer(true, 1)));

        Assert.Equal(new ReplicaAck(ReplicaAckKind.Unreachable), await replicating);
    }

    [Fact]
    public async Task A_peer_nobody_listens_for_is_unreachable()
    {
        string gone = $"127.0.0.1:{FreePorts.Take(1)[0]}";

        Assert.Equal(new ReplicaAck(ReplicaAckKind.Unreachable), await _calls.ReplicateAsync(gone, 1, 1, KeyOperation.Delete, "k", default, 0, Patience));
        Assert.Equal(LeaseAnswer.NoAnswer, await _calls.HeartbeatAsync(gone, 1, 0, Patience));
    }

    [Fact]
    public async Task A_lane_that_does_not_open_in_time_answers_by_the_callers_deadline()
    {
        // The stand-in never accepts: the connection waits in its backlog, the upgrade is never answered.
        Assert.Equal(new ReplicaAck(ReplicaAckKind.TimedOut), await ReplicateAsync(Short));
        Assert.Equal(LeaseAnswer.NoAnswer, await HeartbeatAsync(Short));
    }

    /// <summary>Opens the lane to the stand-in first, so a short deadline is spent waiting for an answer,
    /// not for the lane.</summary>
    private async Task<ForwardLane> OpenLaneAsync()
    {
        Task<ForwardLane> opening = _lanes.GetAsync(_peer.Address).AsTask();
        await _peer.AcceptLaneAsync();
        return await opening;
    }

    private Task<ReplicaAck> ReplicateAsync(TimeSpan timeout) =>
        _calls.ReplicateAsync(_peer.Address, 1, 1, KeyOperation.Put, "k", "v"u8.ToArray(), 0, timeout).AsTask();

    private Task<LeaseAnswer> HeartbeatAsync(TimeSpan timeout) => _calls.HeartbeatAsync(_peer.Address, 1, 0, timeout).AsTask();

    private static long Deadline(TimeSpan after) => TimeProvider.System.GetTimestamp() + (long)(after.TotalSeconds * TimeProvider.System.TimestampFrequency);

    public void Dispose()
    {
        _lanes.Dispose();
        _peer.Dispose();
    }

    private readonly record struct ReplicateFrameId(uint Id)
    {
        public static ReplicateFrameId Of(byte[] body) => new(LaneProtocol.ReadReplicate(body).Id);
    }
}
