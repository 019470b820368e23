using System.Diagnostics;
using System.Text;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// Replication's frames on the receiving side. The receivers' calls are in-memory work, so each frame
/// is answered at once, in the order it came, on the lane's read loop. Unlike a forward, no membership
/// check is made here: the receiver decides whether it knows the sender (it answers
/// <see cref="ReplicaAckKind.NotReplica"/> or refuses the lease when it does not), and a fill batch is
/// applied only for the fill this node runs (<see cref="FillReceiver"/>).
/// </summary>
public sealed partial class LaneServer
{
    /// <returns>Whether this call claimed sending (see <see cref="LaneOutbox.ClaimSending"/>).</returns>
    private bool ServeReplicate(ServedLane lane, ReadOnlySpan<byte> body)
    {
        ReplicateFrame frame = LaneProtocol.ReadReplicate(body);
        Verify(lane, frame.Authenticated, frame.Mac);
        if (!TryDecodeKey(frame.Key, out string? key))
        {
            throw new LaneProtocolException("A replicate frame carries a malformed key");
        }

        ReplicaAck ack;
        using (StartServing(frame, lane.Sender))
        {
            ack = replicas.Apply(lane.Sender, frame.Epoch, frame.Version, frame.Operation, key, frame.Value, frame.Watermark);
        }

        Activity.Current = null;
        lock (lane.Outbox.Gate)
        {
            LaneProtocol.WriteReplicaAck(lane.Outbox.Frames, frame.Id, ack);
            return lane.Outbox.ClaimSending();
        }
    }

    /// <returns>Whether this call claimed sending (see <see cref="LaneOutbox.ClaimSending"/>).</returns>
    private bool ServeHeartbeat(ServedLane lane, ReadOnlySpan<byte> body)
    {
        HeartbeatFrame frame = LaneProtocol.ReadHeartbeat(body);
        Verify(lane, frame.Authenticated, frame.Mac);
        LeaseAnswer answer = replicas.OnHeartbeat(lane.Sender, frame.Epoch, frame.Watermark);
        lock (lane.Outbox.Gate)
        {
            LaneProtocol.WriteLeaseAnswer(lane.Outbox.Frames, frame.Id, answer);
            return lane.Outbox.ClaimSending();
        }
    }

    /// <returns>Whether this call claimed sending (see <see cref="LaneOutbox.ClaimSending"/>).</returns>
    private bool ServeFill(ServedLane lane, ReadOnlyMemory<byte> body)
    {
        FillFrame frame = LaneProtocol.ReadFill(body.Span);
        Verify(lane, frame.Authenticated, frame.Mac);
        ActivityContext parent = default;
        if (!frame.TraceParent.IsEmpty && NodeTelemetry.Source.HasListeners())
        {
            ActivityContext.TryParse(Encoding.ASCII.GetString(frame.TraceParent), traceState: null, out parent);
        }

        FillAnswer answer = fills.Receive(frame.FillEpoch, body.Slice(frame.BatchStart, frame.Batch.Length), parent);
        Activity.Current = null;
        lock (lane.Outbox.Gate)
        {
            LaneProtocol.WriteFillAnswer(lane.Outbox.Frames, frame.Id, answer);
            return lane.Outbox.ClaimSending();
        }
    }

    /// <summary>The replica's span of a replicated write, a child of the primary's span when the frame
    /// carries its traceparent.</summary>
    private static Activity? StartServing(in ReplicateFrame frame, string sender)
    {
        if (frame.TraceParent.IsEmpty || !NodeTelemetry.Source.HasListeners())
        {
            return null;
        }

        ActivityContext.TryParse(Encoding.ASCII.GetString(frame.TraceParent), traceState: null, out ActivityContext parent);
        return NodeTelemetry.StartServingReplicate(frame.Operation, sender, frame.Epoch, frame.Version, parent);
    }
}
