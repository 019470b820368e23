using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>
/// Replication's calls to peers, on the same lanes as forwards (<see cref="ForwardLanes"/>). A call never
/// throws for a peer that is down or slow: a replicate answers <see cref="ReplicaAckKind.Unreachable"/>
/// or <see cref="ReplicaAckKind.TimedOut"/>, a heartbeat <see cref="LeaseAnswer.NoAnswer"/>. Each
/// call is tried a second time only when nothing was sent (no lane could be opened, or it closed
/// before the frame went on it); once sent, resending is the caller's decision, since a replicate's
/// version makes a resend safe but only the caller knows whether it is still wanted.
/// </summary>
/// <remarks>The targets come from the replication configuration, not from anything a request carries;
/// unlike forwards they are not checked against the views this node knows (a learner need not be in one).</remarks>
public sealed class ReplicationCalls(ForwardLanes lanes, TimeProvider time) : IReplicationTransport
{
    /// <summary>Sends one write to the replica <paramref name="target"/> and waits for its
    /// acknowledgement, at most <paramref name="timeout"/> (opening the lane included).</summary>
    /// <param name="value">The value of a <see cref="KeyOperation.Put"/>; ignored for a <see cref="KeyOperation.Delete"/>.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReplicaAck> ReplicateAsync(string target, long epoch, long version, KeyOperation operation, string key, ReadOnlyMemory<byte> value, long watermark, TimeSpan timeout)
    {
        using Activity? activity = NodeTelemetry.StartReplicate(operation, target, epoch, version);
        long deadline = DeadlineAfter(timeout);
        string? traceParent = Activity.Current?.Id;
        for (int attempt = 1; attempt <= 2; attempt++)
        {
            (ForwardLane? lane, bool late) = await OpenAsync(target, deadline);
            if (late)
            {
                return Finish(activity, new ReplicaAck(ReplicaAckKind.TimedOut));
            }

            if (lane is not null && lane.TrySendReplicate(epoch, version, operation, key, value.Span, watermark, traceParent, deadline, out ValueTask<ReplicaAck> sent))
            {
                return Finish(activity, await sent);
            }
        }

        return Finish(activity, new ReplicaAck(ReplicaAckKind.Unreachable));
    }

    /// <summary>Sends a heartbeat to <paramref name="target"/> and waits for its lease answer, at most
    /// <paramref name="timeout"/> (opening the lane included).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<LeaseAnswer> HeartbeatAsync(string target, long epoch, long watermark, TimeSpan timeout)
    {
        long deadline = DeadlineAfter(timeout);
        for (int attempt = 1; attempt <= 2; attempt++)
        {
            (ForwardLane? lane, bool late) = await OpenAsync(target, deadline);
            if (late)
            {
                return LeaseAnswer.NoAnswer;
            }

            if (lane is not null && lane.TrySendHeartbeat(epoch, watermark, deadline, out ValueTask<LeaseAnswer> sent))
            {
                return await sent;
            }
        }

        return LeaseAnswer.NoAnswer;
    }

    private long DeadlineAfter(TimeSpan timeout) => time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);

    /// <summary>The lane to <paramref name="target"/>: null when it could not be opened (nothing was
    /// sent), late when opening it outlasted <paramref name="deadline"/> (it goes on opening for the
    /// next call).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(ForwardLane? Lane, bool Late)> OpenAsync(string target, long deadline)
    {
        try
        {
            ValueTask<ForwardLane> opening = lanes.GetAsync(target);
            if (opening.IsCompletedSuccessfully)
            {
                return (opening.Result, false);
            }

            Task<ForwardLane> open = opening.AsTask();
            long remaining = deadline - time.GetTimestamp();
            if (remaining <= 0)
            {
                Observe(open);
                return (null, true);
            }

            Task<ForwardLane> waiting = open.WaitAsync(TimeSpan.FromSeconds(remaining / (double)time.TimestampFrequency), time);
            Observe(open); // a failure after this call gave up on it is for the next call to meet
            return (await waiting, false);
        }
        catch (TimeoutException)
        {
            return (null, true);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or LaneProtocolException)
        {
            return (null, false);
        }
    }

    private static void Observe(Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static ReplicaAck Finish(Activity? activity, ReplicaAck ack)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("kvs.ack", ack.Kind.ToString());
            if (!ack.Holds)
            {
                activity.SetStatus(ActivityStatusCode.Error, ack.Kind.ToString());
            }
        }

        return ack;
    }
}
