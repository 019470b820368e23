using System.Net.Sockets;
using System.Text;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// The sending side of one lane: a kept-open connection to one peer that carries any number of
/// forwarded key requests, replicated writes, heartbeats and fill batches at once. Requests are appended to the
/// outbox with an id; the read loop matches each answer to its waiting request by that id.
/// </summary>
/// <remarks>
/// Concurrency: the lane owns one lock, <c>_gate</c>. It guards the pending table (<c>_pending</c>),
/// the id counter, <c>_closed</c> and <c>_lastUsed</c>, and it is also the outbox's gate, so a request
/// is appended to the outbox (and signed, in the lane's one MAC sequence) and entered in the table in
/// one step. Nothing is awaited under it. Whoever removes a request from the table completes it (see
/// <see cref="PendingRequest"/>).
/// </remarks>
public sealed class ForwardLane : IDisposable, IThreadPoolWorkItem
{
    private readonly Lock _gate = new();
    private readonly NetworkStream _stream;
    private readonly LaneMac _mac;
    private readonly ReceiveBuffer _received;
    private readonly LaneOutbox _outbox;
    private readonly Dictionary<uint, PendingRequest> _pending = [];
    private readonly CancellationTokenSource _closing = new();
    private readonly int _maxAnswerBytes;
    private readonly TimeProvider _time;
    private uint _lastId;
    private bool _closed;
    private long _lastUsed;

    /// <param name="stream">The upgraded connection; the lane owns it and its socket.</param>
    /// <param name="time">Deadlines and idleness are <see cref="TimeProvider.GetTimestamp"/> values.</param>
    public ForwardLane(string target, NetworkStream stream, LaneMac mac, ReceiveBuffer received, int maxAnswerBytes, TimeProvider time)
    {
        Target = target;
        _time = time;
        _lastUsed = time.GetTimestamp();
        _stream = stream;
        _mac = mac;
        _received = received;
        _maxAnswerBytes = maxAnswerBytes;
        _outbox = new LaneOutbox(_stream, _gate);
        _ = RunAsync(ReadLoopAsync());
    }

    public string Target { get; }

    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>Queues a forwarded key request. False when the lane has closed: nothing was sent.</summary>
    public bool TrySend(KeyOperation operation, string key, byte[]? value, long epoch, string? traceParent, long deadline, out ValueTask<LaneAnswer> answer)
    {
        PendingAnswer<LaneAnswer> pending;
        bool send;
        lock (_gate)
        {
            if (_closed)
            {
                answer = default;
                return false;
            }

            uint id = ++_lastId;
            LaneProtocol.WriteRequest(_outbox.Frames, id, operation, epoch, key, value, traceParent, _mac);
            pending = PendingAnswer<LaneAnswer>.Rent(deadline, operation);
            send = Enter(id, pending);
        }

        answer = pending.Answer;
        SendLater(send);
        return true;
    }

    /// <summary>Queues a write to a replica (see <see cref="LaneProtocol.WriteReplicate"/>). False when
    /// the lane has closed: nothing was sent. Answered <see cref="ReplicaAckKind.Unreachable"/> when the
    /// lane closes first, <see cref="ReplicaAckKind.TimedOut"/> after <paramref name="deadline"/> (which
    /// resets the lane, as a timed-out forward does).</summary>
    public bool TrySendReplicate(long epoch, long version, KeyOperation operation, string key, ReadOnlySpan<byte> value, long watermark, string? traceParent, long deadline, out ValueTask<ReplicaAck> answer)
    {
        PendingAnswer<ReplicaAck> pending;
        bool send;
        lock (_gate)
        {
            if (_closed)
            {
                answer = default;
                return false;
            }

            uint id = ++_lastId;
            LaneProtocol.WriteReplicate(_outbox.Frames, id, epoch, version, operation, key, value, watermark, traceParent, _mac);
            pending = PendingAnswer<ReplicaAck>.Rent(deadline);
            send = Enter(id, pending);
        }

        answer = pending.Answer;
        SendLater(send);
        return true;
    }

    /// <summary>Queues a heartbeat. False when the lane has closed: nothing was sent. Answered
    /// <see cref="LeaseAnswer.NoAnswer"/> when the lane closes first or <paramref name="deadline"/>
    /// passes; a heartbeat past its deadline does not reset the lane (see <see cref="Sweep"/>).</summary>
    public bool TrySendHeartbeat(long epoch, long watermark, long deadline, out ValueTask<LeaseAnswer> answer)
    {
        PendingAnswer<LeaseAnswer> pending;
        bool send;
        lock (_gate)
        {
            if (_closed)
            {
                answer = default;
                return false;
            }

            uint id = ++_lastId;
            LaneProtocol.WriteHeartbeat(_outbox.Frames, id, epoch, watermark, _mac);
            pending = PendingAnswer<LeaseAnswer>.Rent(deadline);
            send = Enter(id, pending);
        }

        answer = pending.Answer;
        SendLater(send);
        return true;
    }

    /// <summary>Queues a fill batch (see <see cref="LaneProtocol.WriteFill"/>). False when the lane has
    /// closed: nothing was sent. Answered <see cref="FillAnswerKind.Unreachable"/> when the lane closes
    /// first, <see cref="FillAnswerKind.TimedOut"/> after <paramref name="deadline"/>; like a replicate's,
    /// a fill's timeout does not reset the lane (a batch applied late changes nothing a newer write made).</summary>
    public bool TrySendFill(long fillEpoch, ReadOnlySpan<byte> batch, string? traceParent, long deadline, out ValueTask<FillAnswer> answer)
    {
        PendingAnswer<FillAnswer> pending;
        bool send;
        lock (_gate)
        {
            if (_closed)
            {
                answer = default;
                return false;
            }

            uint id = ++_lastId;
            LaneProtocol.WriteFill(_outbox.Frames, id, fillEpoch, batch, traceParent, _mac);
            pending = PendingAnswer<FillAnswer>.Rent(deadline);
            send = Enter(id, pending);
        }

        answer = pending.Answer;
        SendLater(send);
        return true;
    }

    /// <summary>Under <c>_gate</c>, after the request's frame was appended.</summary>
    /// <returns>Whether the caller must have the outbox sent (see <see cref="LaneOutbox.ClaimSending"/>).</returns>
    private bool Enter(uint id, PendingRequest pending)
    {
        _pending.Add(id, pending);
        _lastUsed = _time.GetTimestamp();
        return _outbox.ClaimSending();
    }

    private void SendLater(bool send)
    {
        if (send)
        {
            // Sent from the back of the thread pool's queue rather than now: the requests already
            // queued behind this one (those that arrived with it) append theirs first, and all go in
            // one system call. On loopback a send also pays for the receiver's side, so this matters.
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Answers requests past their deadline; closes the lane when it has been idle for
    /// <paramref name="idleTimeout"/> (both in <see cref="TimeProvider.GetTimestamp"/> units).</summary>
    public void Sweep(long now, long idleTimeout)
    {
        List<PendingRequest>? expired = null;
        bool reset = false;
        bool idle;
        lock (_gate)
        {
            foreach ((uint id, PendingRequest pending) in _pending)
            {
                if (pending.Deadline <= now)
                {
                    (expired ??= []).Add(pending);
                    reset |= pending is PendingAnswer<LaneAnswer>;
                    _pending.Remove(id);
                }
            }

            idle = _pending.Count == 0 && now - _lastUsed > idleTimeout;
        }

        if (reset)
        {
            // A forward that timed out must not reach the owner later (say, when a partition heals):
            // resetting the connection discards whatever of it is still unsent or unacknowledged,
            // before anyone hears of the timeout. Replication's frames do not reset: a replicate not
            // answered in time is sent again on this same lane, behind everything sent before it, so
            // a late copy can never land after a newer write of the key (the receiving side stops an
            // older lane of the sender's once a newer one opens, should this one break). A reset
            // would fail every forward and write on the lane because one answer was slow, which on
            // a starved machine failed keys of live primaries. A late lease answer changes nothing:
            // the sender counts a lease from when it sent the heartbeat.
            Close(reset: true);
        }
        else if (idle)
        {
            Close();
        }

        if (expired is not null)
        {
            foreach (PendingRequest pending in expired)
            {
                Fail(pending, timedOut: true);
            }
        }
    }

    /// <param name="reset">Drop unsent data and reset the connection instead of closing it in order.</param>
    public void Close(bool reset = false)
    {
        List<PendingRequest> lost;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            lost = [.. _pending.Values];
            _pending.Clear();
        }

        if (reset)
        {
            _stream.Socket.Close(timeout: 0); // abortive: RST, the send queue is dropped
        }

        _closing.Cancel();
        _stream.Dispose();
        _mac.Dispose();
        _closing.Dispose();
        foreach (PendingRequest pending in lost)
        {
            Fail(pending, timedOut: false);
        }
    }

    /// <summary>Completes a request taken from the table without its answer: the lane closed first, or
    /// its deadline passed.</summary>
    private void Fail(PendingRequest pending, bool timedOut)
    {
        switch (pending)
        {
            case PendingAnswer<LaneAnswer> forward when timedOut:
                forward.Complete(new LaneAnswer(Failure($"Owner {Target} did not answer in time")));
                break;
            case PendingAnswer<LaneAnswer> forward:
                forward.Complete(new LaneAnswer(Failure($"Owner {Target} is unreachable"), ConnectionLost: true));
                break;
            case PendingAnswer<ReplicaAck> replicate:
                replicate.Complete(new ReplicaAck(timedOut ? ReplicaAckKind.TimedOut : ReplicaAckKind.Unreachable));
                break;
            case PendingAnswer<LeaseAnswer> heartbeat:
                heartbeat.Complete(LeaseAnswer.NoAnswer);
                break;
            case PendingAnswer<FillAnswer> fill:
                fill.Complete(timedOut
                    ? new FillAnswer(FillAnswerKind.TimedOut, Error: $"{Target} did not answer in time")
                    : new FillAnswer(FillAnswerKind.Unreachable, Error: $"the lane to {Target} closed"));
                break;
        }
    }

    public void Dispose() => Close();

    void IThreadPoolWorkItem.Execute()
    {
        try
        {
            _ = RunAsync(_outbox.SendAsync(_closing.Token));
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile: its token is gone, and so is everything that was queued.
        }
    }

    private async Task ReadLoopAsync()
    {
        int missing = 1;
        while (true)
        {
            int read = await _stream.ReadAsync(_received.FreeSpace(Math.Max(missing, 4096)), _closing.Token);
            if (read == 0)
            {
                Close(); // the peer closed the lane
                return;
            }

            _received.Commit(read);
            missing = CompleteAnswered();
        }
    }

    /// <returns>How many more bytes the next frame needs at least.</returns>
    private int CompleteAnswered()
    {
        while (true)
        {
            int bodyLength = LaneProtocol.TryFindFrame(_received.Data, _maxAnswerBytes, out int missing);
            if (bodyLength == 0)
            {
                return missing;
            }

            CompleteAnswer(_received.Data.Slice(LaneProtocol.LengthPrefix, bodyLength));
            _received.Consume(LaneProtocol.LengthPrefix + bodyLength);
        }
    }

    /// <summary>Completes the request <paramref name="body"/> answers, unless it was already answered
    /// as timed out.</summary>
    private void CompleteAnswer(ReadOnlySpan<byte> body)
    {
        switch (LaneProtocol.ReadKind(body))
        {
            case LaneFrameKind.Forward:
                LaneAnswerFrame frame = LaneProtocol.ReadAnswer(body);
                PendingAnswer<LaneAnswer>? forward = Take<LaneAnswer>(frame.Id);
                forward?.Complete(new LaneAnswer(ToOutcome(frame, forward.Operation)));
                break;
            case LaneFrameKind.Replicate:
                ReplicaAck ack = LaneProtocol.ReadReplicaAck(body, out uint replicateId);
                Take<ReplicaAck>(replicateId)?.Complete(ack);
                break;
            case LaneFrameKind.Heartbeat:
                LeaseAnswer lease = LaneProtocol.ReadLeaseAnswer(body, out uint heartbeatId);
                Take<LeaseAnswer>(heartbeatId)?.Complete(lease);
                break;
            default:
                FillAnswer fill = LaneProtocol.ReadFillAnswer(body, out uint fillId);
                Take<FillAnswer>(fillId)?.Complete(fill);
                break;
        }
    }

    /// <summary>Removes request <paramref name="id"/> from the table: null when it is no longer there.</summary>
    /// <exception cref="LaneProtocolException">The request waits for another kind of answer (then it
    /// is failed as lost, as the lane closes).</exception>
    private PendingAnswer<TAnswer>? Take<TAnswer>(uint id)
    {
        PendingRequest? pending;
        lock (_gate)
        {
            _pending.Remove(id, out pending);
        }

        if (pending is null or PendingAnswer<TAnswer>)
        {
            return (PendingAnswer<TAnswer>?)pending;
        }

        Fail(pending, timedOut: false);
        throw new LaneProtocolException($"Request {id} was answered with a {typeof(TAnswer).Name}");
    }

    private KeyOutcome ToOutcome(in LaneAnswerFrame frame, KeyOperation operation)
    {
        string owner = frame.Owner.IsEmpty ? Target : Encoding.UTF8.GetString(frame.Owner);
        switch (frame.Kind)
        {
            case OutcomeKind.Found when operation == KeyOperation.Get:
                return new KeyOutcome(OutcomeKind.Found, frame.Value.ToArray(), owner);
            case OutcomeKind.Found or OutcomeKind.NotFound or OutcomeKind.Created or OutcomeKind.Replaced:
                return new KeyOutcome(frame.Kind, Owner: owner);
            default:
                // The owner refused (not executed), unless its own forward to a newer owner went
                // unanswered: then, as for a forward of ours, a write's outcome is unknown.
                string error = frame.Error.IsEmpty ? $"Owner {owner} answered {frame.Kind}" : Encoding.UTF8.GetString(frame.Error);
                OutcomeKind kind = frame.Kind == OutcomeKind.OwnerUnreachable ? OutcomeKind.OwnerUnreachable : OutcomeKind.OwnerUnavailable;
                return new KeyOutcome(kind, Owner: owner, Error: error);
        }
    }

    private KeyOutcome Failure(string error) => new(OutcomeKind.OwnerUnreachable, Owner: Target, Error: error);

    /// <summary>Closes the lane when <paramref name="work"/> fails; synchronous when it completed.</summary>
    private Task RunAsync(Task work) => work.IsCompletedSuccessfully ? Task.CompletedTask : CloseOnFailureAsync(work);

    private async Task CloseOnFailureAsync(Task work)
    {
        try
        {
            await work;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or LaneProtocolException or SocketException)
        {
            // The connection broke, the peer sent garbage, or the lane closed: every waiting request
            // learns it in Close.
            Close();
        }
    }
}
