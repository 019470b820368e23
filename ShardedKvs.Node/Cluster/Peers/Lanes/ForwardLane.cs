using System.Net.Sockets;
using System.Text;
using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// The forwarding side of one lane: a kept-open connection to one peer that carries any number of
/// forwarded key requests at once. Requests are appended to the outbox with an id; the read loop
/// matches each answer to its waiting request by that id.
/// </summary>
/// <remarks>
/// Concurrency: the lane owns one lock, <c>_gate</c>. It guards the pending table (<c>_pending</c>),
/// the id counter, <c>_closed</c> and <c>_lastUsed</c>, and it is also the outbox's gate, so a request
/// is appended to the outbox and entered in the table in one step. Nothing is awaited under it.
/// Whoever removes a request from the table completes it (see <see cref="PendingForward"/>).
/// </remarks>
public sealed class ForwardLane : IDisposable, IThreadPoolWorkItem
{
    private readonly Lock _gate = new();
    private readonly NetworkStream _stream;
    private readonly LaneMac _mac;
    private readonly ReceiveBuffer _received;
    private readonly LaneOutbox _outbox;
    private readonly Dictionary<uint, PendingForward> _pending = [];
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

    /// <summary>Queues the request. False when the lane has closed: nothing was sent.</summary>
    public bool TrySend(KeyOperation operation, string key, byte[]? value, long epoch, string? traceParent, long deadline, out ValueTask<LaneAnswer> answer)
    {
        PendingForward pending;
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
            pending = PendingForward.Rent(operation, deadline);
            _pending.Add(id, pending);
            _lastUsed = _time.GetTimestamp();
            send = _outbox.ClaimSending();
        }

        answer = pending.Answer;
        if (send)
        {
            // Sent from the back of the thread pool's queue rather than now: the requests already
            // queued behind this one (those that arrived with it) append theirs first, and all go in
            // one system call. On loopback a send also pays for the receiver's side, so this matters.
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        return true;
    }

    /// <summary>Answers requests past their deadline; closes the lane when it has been idle for
    /// <paramref name="idleTimeout"/> (both in <see cref="TimeProvider.GetTimestamp"/> units).</summary>
    public void Sweep(long now, long idleTimeout)
    {
        List<PendingForward>? expired = null;
        bool idle;
        lock (_gate)
        {
            foreach ((uint id, PendingForward pending) in _pending)
            {
                if (pending.Deadline <= now)
                {
                    (expired ??= []).Add(pending);
                    _pending.Remove(id);
                }
            }

            idle = _pending.Count == 0 && now - _lastUsed > idleTimeout;
        }

        if (expired is not null)
        {
            // A request that timed out must not reach the owner later (say, when a partition heals)
            // and apply a write its client was told failed. Resetting the connection discards
            // whatever of it is still unsent or unacknowledged, before anyone hears of the timeout.
            Close(reset: true);
            foreach (PendingForward pending in expired)
            {
                pending.Complete(new LaneAnswer(Failure($"Owner {Target} did not answer in time")));
            }
        }
        else if (idle)
        {
            Close();
        }
    }

    /// <param name="reset">Drop unsent data and reset the connection instead of closing it in order.</param>
    public void Close(bool reset = false)
    {
        List<PendingForward> lost;
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
        foreach (PendingForward pending in lost)
        {
            pending.Complete(new LaneAnswer(Failure($"Owner {Target} is unreachable"), ConnectionLost: true));
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

            LaneAnswerFrame frame = LaneProtocol.ReadAnswer(_received.Data.Slice(LaneProtocol.LengthPrefix, bodyLength));
            PendingForward? pending;
            lock (_gate)
            {
                _pending.Remove(frame.Id, out pending);
            }

            // Null when the request was already answered as timed out.
            pending?.Complete(new LaneAnswer(ToOutcome(frame, pending.Operation)));
            _received.Consume(LaneProtocol.LengthPrefix + bodyLength);
        }
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
