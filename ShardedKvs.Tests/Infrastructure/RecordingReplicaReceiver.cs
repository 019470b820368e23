using System.Collections.Concurrent;
using System.Diagnostics;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// A replica receiver that records every call a node's lane server makes to it, with the span it ran
/// under, and answers as the test says. Registered on a <see cref="TestNode"/> before the node's own
/// services, it takes the place of the placeholder receiver.
/// </summary>
public sealed class RecordingReplicaReceiver : IReplicaReceiver
{
    public ConcurrentQueue<Write> Writes { get; } = new();

    public ConcurrentQueue<Heartbeat> Heartbeats { get; } = new();

    public Func<Write, ReplicaAck> AnswerWrite { get; set; } = _ => new ReplicaAck(ReplicaAckKind.Applied, 1);

    public Func<Heartbeat, LeaseAnswer> AnswerHeartbeat { get; set; } = _ => new LeaseAnswer(Granted: true, PeerEpoch: 1);

    public ReplicaAck Apply(string sender, long epoch, long version, KeyOperation operation, string key, ReadOnlySpan<byte> value, long watermark)
    {
        var write = new Write(sender, epoch, version, operation, key, value.ToArray(), watermark, Span.Of(Activity.Current));
        Writes.Enqueue(write);
        return AnswerWrite(write);
    }

    public LeaseAnswer OnHeartbeat(string sender, long epoch, long watermark)
    {
        var heartbeat = new Heartbeat(sender, epoch, watermark);
        Heartbeats.Enqueue(heartbeat);
        return AnswerHeartbeat(heartbeat);
    }

    /// <summary>Forgets what was recorded and answers as it did at first.</summary>
    public void Reset()
    {
        Writes.Clear();
        Heartbeats.Clear();
        AnswerWrite = _ => new ReplicaAck(ReplicaAckKind.Applied, 1);
        AnswerHeartbeat = _ => new LeaseAnswer(Granted: true, PeerEpoch: 1);
    }

    public sealed record Write(string Sender, long Epoch, long Version, KeyOperation Operation, string Key, byte[] Value, long Watermark, Span? RunningUnder);

    public sealed record Heartbeat(string Sender, long Epoch, long Watermark);

    /// <summary>The span a call ran under, when anything listened.</summary>
    public sealed record Span(string Name, ActivityTraceId TraceId, ActivitySpanId ParentSpanId)
    {
        public static Span? Of(Activity? activity) => activity is null ? null : new Span(activity.OperationName, activity.TraceId, activity.ParentSpanId);
    }
}
