using System.Net.Sockets;
using Microsoft.Extensions.Options;
using ShardedKvs.Node;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Security;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Peers.Lanes;

/// <summary>
/// A forward the owner does not answer in time: its client hears 503 (outcome unknown), and the lane
/// is reset, so nothing of the request still in the network can reach the owner afterwards (a
/// partition that heals must not deliver a write its client was told failed). The owner here is a
/// stand-in that accepts the lane and never answers.
/// </summary>
public sealed class LaneTimeoutTests
{
    [Fact]
    public async Task A_forward_that_times_out_answers_unreachable_and_resets_its_lane()
    {
        using var owner = new StandInPeer();
        var keys = new ClusterKeys(TestCluster.ClusterKey);
        var options = Options.Create(new NodeOptions { Address = "127.0.0.1:1", ForwardTimeout = TimeSpan.FromMilliseconds(300) });
        using var lanes = new ForwardLanes(keys, new RequestSigner(keys, TimeProvider.System, options), TimeProvider.System, options);
        Task<ForwardLane> opening = lanes.GetAsync(owner.Address).AsTask();
        await owner.AcceptLaneAsync();
        ForwardLane lane = await opening;

        Assert.True(lane.TrySend(KeyOperation.Put, "k", "v"u8.ToArray(), epoch: 1, traceParent: null, TimeProvider.System.GetTimestamp() + TimeProvider.System.TimestampFrequency * 3 / 10, out ValueTask<LaneAnswer> sent));
        LaneAnswer answer = await sent;

        Assert.Equal(OutcomeKind.OwnerUnreachable, answer.Outcome.Kind);
        Assert.Equal(owner.Address, answer.Outcome.Owner);
        Assert.True(lane.IsClosed);
        Assert.Equal(SocketError.ConnectionReset, await owner.ReadUntilClosedAsync()); // the request frame, then the reset
    }
}
