using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// The receiving side of lanes: reads forwarded requests, serves each through <see cref="KeyRequestHandler"/>
/// exactly as it would serve an HTTP one, and answers by id. Requests served in memory are answered
/// in the order they came; one that has to wait (for a hand-off, or a second forward during a view
/// change) answers when it is done, without holding up the rest. Replication's frames go to the
/// <see cref="IReplicaReceiver"/>, fill batches to the <see cref="FillReceiver"/> (LaneServer.Replication.cs).
/// </summary>
public sealed partial class LaneServer(KeyRequestHandler operations, IReplicaReceiver replicas, FillReceiver fills, ClusterState state, IOptions<NodeOptions> options, ILogger<LaneServer> logger)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly bool _replicated = options.Value.IsReplicated;
    private readonly int _maxFrameBytes = ForwardLanes.MaxFrameBytes(options.Value);

    // The newest lane of each sender; guarded by _newestGate.
    private readonly Lock _newestGate = new();
    private readonly Dictionary<string, NewestLane> _newest = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Serves one lane until the sender closes it, it breaks, a newer lane of the same sender
    /// replaces it, or <paramref name="cancellationToken"/> fires.</summary>
    public async Task ServeAsync(Stream stream, string sender, byte[] sessionKey, CancellationToken cancellationToken)
    {
        Activity.Current = null; // a forward's span is a child of the forwarder's, not of the long-lived upgrade request
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var mac = new LaneMac(sessionKey);
        var lane = new ServedLane(sender, mac, new LaneOutbox(stream, new Lock()), new ReceiveBuffer(), stopping.Token);
        var served = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var mine = new NewestLane(stopping, served.Task);
        try
        {
            await ReplaceOlderLaneAsync(sender, mine);
            int missing = 1;
            while (true)
            {
                int read = await stream.ReadAsync(lane.Received.FreeSpace(Math.Max(missing, 4096)), stopping.Token);
                if (read == 0)
                {
                    return;
                }

                lane.Received.Commit(read);
                bool send;
                (missing, send) = ServeReceived(lane);
                if (send)
                {
                    await lane.Outbox.SendAsync(stopping.Token);
                }
            }
        }
        catch (LaneProtocolException e)
        {
            LogBrokenLane(logger, sender, e.Message);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The sender went away or this node is stopping. Answers still queued are lost with the
            // connection, as they would be with HTTP.
        }
        finally
        {
            await stopping.CancelAsync();
            lock (_newestGate)
            {
                if (_newest.TryGetValue(sender, out NewestLane? newest) && newest == mine)
                {
                    _newest.Remove(sender);
                }
            }

            served.TrySetResult();
        }
    }

    /// <summary>
    /// A sender opens a new lane when the old one broke or was reset (a forward not answered in
    /// time resets it), and sends writes not acknowledged again on the new one. Frames of the old
    /// lane may still wait unread here, on a starved machine for a long time, and a replicated PUT read after the DELETE that followed it on the new
    /// lane would bring the key back (the store keeps no tombstones). So the old lane stops, and the
    /// new one serves nothing until the old one has finished the frame it was serving.
    /// </summary>
    private async Task ReplaceOlderLaneAsync(string sender, NewestLane mine)
    {
        NewestLane? older;
        lock (_newestGate)
        {
            _newest.TryGetValue(sender, out older);
            _newest[sender] = mine;
        }

        if (older is not null)
        {
            try
            {
                await older.Stopping.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // It has finished already.
            }

            await older.Served.WaitAsync(mine.Stopping.Token);
        }
    }

    /// <returns>How many more bytes the next frame needs at least, and whether the caller must send
    /// the answers now queued.</returns>
    private (int Missing, bool Send) ServeReceived(ServedLane lane)
    {
        bool send = false;
        while (true)
        {
            // A newer lane of the sender replaced this one: no frame read here may be served after it.
            lane.Stopping.ThrowIfCancellationRequested();
            int bodyLength = LaneProtocol.TryFindFrame(lane.Received.Data, _maxFrameBytes, out int missing);
            if (bodyLength == 0)
            {
                return (missing, send);
            }

            ReadOnlySpan<byte> body = lane.Received.Data.Slice(LaneProtocol.LengthPrefix, bodyLength);
            send |= LaneProtocol.ReadKind(body) switch
            {
                LaneFrameKind.Forward => ServeForward(lane, body),
                LaneFrameKind.Replicate => ServeReplicate(lane, body),
                LaneFrameKind.Heartbeat => ServeHeartbeat(lane, body),
                _ => ServeFill(lane, lane.Received.Memory.Slice(LaneProtocol.LengthPrefix, bodyLength)),
            };
            lane.Received.Consume(LaneProtocol.LengthPrefix + bodyLength);
        }
    }

    /// <summary>Every request frame, of any kind, is verified in the lane's one MAC sequence before it is served.</summary>
    private static void Verify(ServedLane lane, ReadOnlySpan<byte> authenticated, ReadOnlySpan<byte> mac)
    {
        if (!lane.Mac.VerifyNext(authenticated, mac))
        {
            throw new LaneProtocolException("A request frame failed its MAC");
        }
    }

    /// <returns>Whether this call claimed sending (see <see cref="LaneOutbox.ClaimSending"/>).</returns>
    private bool ServeForward(ServedLane lane, ReadOnlySpan<byte> body)
    {
        LaneRequest request = LaneProtocol.ReadRequest(body);
        Verify(lane, request.Authenticated, request.Mac);
        // In replicated mode a sender may run a configuration this node has not learned yet (it was
        // just added); the signed lane authenticates it, and the request's epoch makes this node catch up.
        if (!_replicated && !state.Snapshot.KnowsMember(lane.Sender))
        {
            return Answer(lane, request.Id, new KeyOutcome(OutcomeKind.NotServing, Error: $"Sender '{lane.Sender}' is not a member of a view this node knows"), withValue: false);
        }

        if (!TryDecodeKey(request.Key, out string? key) || (request.Operation == KeyOperation.Put) != request.HasValue)
        {
            throw new LaneProtocolException("A request frame carries a malformed key or value");
        }

        Activity? activity = StartServing(request, lane.Sender);
        ValueTask<KeyOutcome> serving = operations.ExecuteAsync(request.Operation, key, request.HasValue ? request.Value.ToArray() : null, request.Epoch, lane.Stopping);
        bool send = false;
        if (serving.IsCompletedSuccessfully)
        {
            send = Answer(lane, request.Id, serving.Result, request.Operation == KeyOperation.Get);
            activity?.Dispose();
        }
        else
        {
            _ = AnswerLaterAsync(lane, request.Id, request.Operation, serving, activity);
        }

        Activity.Current = null;
        return send;
    }

    private static async Task AnswerLaterAsync(ServedLane lane, uint id, KeyOperation operation, ValueTask<KeyOutcome> serving, Activity? activity)
    {
        using (activity)
        {
            KeyOutcome outcome;
            try
            {
                outcome = await serving;
            }
            catch (OperationCanceledException)
            {
                return; // the lane is closing; nobody is left to answer
            }

            if (Answer(lane, id, outcome, operation == KeyOperation.Get))
            {
                try
                {
                    await lane.Outbox.SendAsync(lane.Stopping);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
                {
                    // The lane is gone; its read loop ends too.
                }
            }
        }
    }

    /// <returns>Whether the caller must now send (see <see cref="LaneOutbox.ClaimSending"/>).</returns>
    private static bool Answer(ServedLane lane, uint id, in KeyOutcome outcome, bool withValue)
    {
        lock (lane.Outbox.Gate)
        {
            LaneProtocol.WriteAnswer(lane.Outbox.Frames, id, outcome, withValue && outcome.Kind == OutcomeKind.Found);
            return lane.Outbox.ClaimSending();
        }
    }

    private static bool TryDecodeKey(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out string? key)
    {
        try
        {
            // No length check: the forwarding node applied the public rules (a GET of a key too long
            // to store is a plain 404), and the frame size bounds what arrives.
            key = StrictUtf8.GetString(utf8);
            return key.Length > 0;
        }
        catch (DecoderFallbackException)
        {
            key = null;
            return false;
        }
    }

    /// <summary>The owner's span of a forwarded request, a child of the forwarder's span when the
    /// request carries its traceparent.</summary>
    private static Activity? StartServing(in LaneRequest request, string sender)
    {
        if (request.TraceParent.IsEmpty || !NodeTelemetry.Source.HasListeners())
        {
            return null;
        }

        ActivityContext.TryParse(Encoding.ASCII.GetString(request.TraceParent), traceState: null, out ActivityContext parent);
        return NodeTelemetry.StartServingForward(request.Operation, sender, request.Epoch, parent);
    }

    [LoggerMessage(EventId = LogEvents.LaneBroken, Level = LogLevel.Warning, Message = "Closed the forwarding lane from {Sender}: {Reason}")]
    private static partial void LogBrokenLane(ILogger logger, string sender, string reason);

    private sealed record ServedLane(string Sender, LaneMac Mac, LaneOutbox Outbox, ReceiveBuffer Received, CancellationToken Stopping);

    private sealed record NewestLane(CancellationTokenSource Stopping, Task Served);
}
