using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using ShardedKvs.Node;
using ShardedKvs.Node.Cluster.Peers;
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
        using var owner = new TcpListener(IPAddress.Loopback, 0);
        owner.Start();
        string target = $"127.0.0.1:{((IPEndPoint)owner.LocalEndpoint).Port}";
        var keys = new ClusterKeys(TestCluster.ClusterKey);
        var options = Options.Create(new NodeOptions { Address = "127.0.0.1:1", ForwardTimeout = TimeSpan.FromMilliseconds(300) });
        using var lanes = new ForwardLanes(keys, new RequestSigner(keys, TimeProvider.System, options), TimeProvider.System, options);
        Task<ForwardLane> opening = lanes.GetAsync(target).AsTask();
        using TcpClient accepted = await owner.AcceptTcpClientAsync();
        NetworkStream toForwarder = accepted.GetStream();
        await ReadHeadAsync(toForwarder);
        await toForwarder.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\n{PeerHeaders.LaneNonce}: {LaneHandshake.NewNonce()}\r\n\r\n"));
        ForwardLane lane = await opening;

        Assert.True(lane.TrySend(KeyOperation.Put, "k", "v"u8.ToArray(), epoch: 1, traceParent: null, TimeProvider.System.GetTimestamp() + TimeProvider.System.TimestampFrequency * 3 / 10, out ValueTask<LaneAnswer> sent));
        LaneAnswer answer = await sent;

        Assert.Equal(OutcomeKind.OwnerUnreachable, answer.Outcome.Kind);
        Assert.Equal(target, answer.Outcome.Owner);
        Assert.True(lane.IsClosed);
        var buffer = new byte[4096];
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        IOException reset = await Assert.ThrowsAsync<IOException>(async () =>
        {
            while (await toForwarder.ReadAsync(buffer, patience.Token) > 0)
            {
                // the request frame, then the reset
            }
        });
        Assert.Equal(SocketError.ConnectionReset, (reset.InnerException as SocketException)?.SocketErrorCode);
    }

    private static async Task ReadHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || !head.TakeLast(4).SequenceEqual("\r\n\r\n"u8.ToArray()))
        {
            Assert.Equal(1, await stream.ReadAsync(one));
            head.Add(one[0]);
        }
    }
}
