using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>
/// Replication's calls to peers, on the same lanes as forwards (<see cref="ForwardLanes"/>). A call never
/// throws for a peer that is down or slow: a replicate answers <see cref="ReplicaAckKind.Unreachable"/>
/// or <see cref="ReplicaAckKind.TimedOut"/>, a heartbeat <see cref="LeaseAnswer.NoAnswer"/>, a fill
/// batch <see cref="FillAnswerKind.Down"/>, <see cref="FillAnswerKind.Unreachable"/> or <see cref="FillAnswerKind.TimedOut"/>. Each
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
    public ValueTask<ReplicaAck> ReplicateAsync(string target, long epoch, long version, KeyOperation operation, string key, ReadOnlyMemory<byte> value, long watermark, TimeSpan timeout)
    {
        // With nobody tracing and the lane open, the caller awaits the lane's own pending answer: a
        // primary waiting for several replicas then wakes once for all the answers that came while
        // it waited for the first, where a wrapper awaiting each answer took a thread pool turn per
        // replica (measured in bench/replication.sh, see bench/README).
        if (!NodeTelemetry.Source.HasListeners()
            && lanes.TryGetOpen(target, out ForwardLane? lane)
            && lane.TrySendReplicate(epoch, version, operation, key, value.Span, watermark, traceParent: null, DeadlineAfter(timeout), out ValueTask<ReplicaAck> sent))
        {
            return sent;
        }

        return ReplicateOpeningOrTracedAsync(target, epoch, version, operation, key, value, watermark, timeout);
    }

    /// <summary>The replicate that waits for a lane to open, or carries a span when someone traces.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReplicaAck> ReplicateOpeningOrTracedAsync(string target, long epoch, long version, KeyOperation operation, string key, ReadOnlyMemory<byte> value, long watermark, TimeSpan timeout)
    {
        using Activity? activity = NodeTelemetry.StartReplicate(operation, target, epoch, version);
        long deadline = DeadlineAfter(timeout);
        string? traceParent = Activity.Current?.Id;
        for (int attempt = 1; attempt <= 2; attempt++)
        {
            (ForwardLane? lane, LaneOpening opening) = await OpenAsync(target, deadline);
            if (opening == LaneOpening.Late)
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
            (ForwardLane? lane, LaneOpening opening) = await OpenAsync(target, deadline);
            if (opening == LaneOpening.Late)
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

    /// <summary>Sends one fill batch to the learner <paramref name="target"/> and waits for its answer,
    /// at most <paramref name="timeout"/> (opening the lane included) or until <paramref name="cancellationToken"/>
    /// fires (then it throws; the batch may still be applied, which a fill allows).</summary>
    public async Task<FillAnswer> FillAsync(string target, long fillEpoch, ReadOnlyMemory<byte> batch, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long deadline = DeadlineAfter(timeout);
        string? traceParent = Activity.Current?.Id;
        LaneOpening opening = LaneOpening.Failed;
        for (int attempt = 1; attempt <= 2; attempt++)
        {
            // The lane is open nearly always; waiting for one to open is cancellable, since a fill
            // replaced meanwhile must not hold up the next one for a connect timeout.
            ValueTask<(ForwardLane? Lane, LaneOpening Opening)> open = OpenAsync(target, deadline);
            (ForwardLane? lane, opening) = open.IsCompletedSuccessfully ? open.Result : await open.AsTask().WaitAsync(cancellationToken);
            if (opening == LaneOpening.Late)
            {
                return new FillAnswer(FillAnswerKind.TimedOut, Error: $"no lane to {target} opened in time");
            }

            if (lane is not null && lane.TrySendFill(fillEpoch, batch.Span, traceParent, deadline, out ValueTask<FillAnswer> sent))
            {
                return await sent.AsTask().WaitAsync(cancellationToken);
            }
        }

        return opening == LaneOpening.Refused
            ? new FillAnswer(FillAnswerKind.Down, Error: "connection refused")
            : new FillAnswer(FillAnswerKind.Unreachable, Error: $"no lane to {target} could be opened");
    }

    private long DeadlineAfter(TimeSpan timeout) => time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);

    /// <summary>The lane to <paramref name="target"/>, or null and why not: it could not be opened
    /// (nothing was sent), or opening it outlasted <paramref name="deadline"/> (it goes on opening for
    /// the next call).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(ForwardLane? Lane, LaneOpening Opening)> OpenAsync(string target, long deadline)
    {
        try
        {
            ValueTask<ForwardLane> opening = lanes.GetAsync(target);
            if (opening.IsCompletedSuccessfully)
            {
                return (opening.Result, LaneOpening.Opened);
            }

            Task<ForwardLane> open = opening.AsTask();
            long remaining = deadline - time.GetTimestamp();
            if (remaining <= 0)
            {
                Observe(open);
                return (null, LaneOpening.Late);
            }

            Task<ForwardLane> waiting = open.WaitAsync(TimeSpan.FromSeconds(remaining / (double)time.TimestampFrequency), time);
            Observe(open); // a failure after this call gave up on it is for the next call to meet
            return (await waiting, LaneOpening.Opened);
        }
        catch (TimeoutException)
        {
            return (null, LaneOpening.Late);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return (null, LaneOpening.Refused);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or LaneProtocolException)
        {
            return (null, LaneOpening.Failed);
        }
    }

    private static void Observe(Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private enum LaneOpening
    {
        Opened,
        Late,
        Refused,
        Failed,
    }

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
