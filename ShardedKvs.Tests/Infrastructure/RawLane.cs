using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Security;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// A forwarding lane opened by hand, byte by byte, to test what a node accepts: the upgrade can be
/// signed with any key, sender, time or nonce, and frames can be sent with any MAC.
/// </summary>
public sealed class RawLane : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>Where a replicate's key starts in its body: after kind, id, operation, epoch, version,
    /// watermark and the key's length.</summary>
    private const int ReplicateKeyOffset = 1 + sizeof(uint) + 1 + (3 * sizeof(long)) + sizeof(ushort);

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly ReceiveBuffer _received = new();
    private uint _lastId;
    private byte[] _lastFrame = [];

    private RawLane(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>The upgrade answer's status code.</summary>
    public int Status { get; private set; }

    /// <summary>The "error" of a refused upgrade's JSON body.</summary>
    public string? Error { get; private set; }

    /// <summary>The accepting node's nonce, when it accepted.</summary>
    public string? AcceptorNonce { get; private set; }

    /// <summary>Signs frames as the node that opened the lane would; null when the lane was refused.</summary>
    public LaneMac? Mac { get; private set; }

    /// <summary>Opens a lane to <paramref name="node"/>; <paramref name="upgradeRequest"/> replaces the
    /// whole signed request head when a test needs to replay one.</summary>
    public static async Task<RawLane> OpenAsync(TestNode node, string sender, string? clusterKey, DateTimeOffset? signedAt = null, string? nonce = null, string? upgradeRequest = null)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(node.Client.BaseAddress!.Host, node.Client.BaseAddress.Port);
        var lane = new RawLane(tcp);
        nonce ??= LaneHandshake.NewNonce();
        upgradeRequest ??= UpgradeRequest(node.Address, sender, clusterKey, signedAt ?? DateTimeOffset.UtcNow, nonce);
        lane.UpgradeRequestSent = upgradeRequest;
        await lane._stream.WriteAsync(Encoding.ASCII.GetBytes(upgradeRequest));
        await lane.ReadUpgradeAnswerAsync();
        if (lane.Status == 101 && clusterKey is not null)
        {
            lane.Mac = new LaneMac(new ClusterKeys(clusterKey).DeriveLaneKey(0, LaneHandshake.SessionContext(sender, nonce, lane.AcceptorNonce!)));
        }

        return lane;
    }

    /// <summary>The head of the upgrade request this lane sent, for replaying it.</summary>
    public string UpgradeRequestSent { get; private set; } = "";

    public static string UpgradeRequest(string host, string sender, string? clusterKey, DateTimeOffset signedAt, string nonce)
    {
        string target = $"{LaneHandshake.Path}?{LaneHandshake.NonceParameter}={nonce}";
        var head = new StringBuilder().Append(CultureInfo.InvariantCulture, $"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: {LaneHandshake.Protocol}\r\n");
        if (clusterKey is not null)
        {
            string timestamp = signedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            string signature = new ClusterKeys(clusterKey).Sign(new SignedFields("GET", target, sender, timestamp, ReadOnlyMemory<byte>.Empty));
            head.Append(CultureInfo.InvariantCulture, $"{PeerHeaders.Sender}: {sender}\r\n{PeerHeaders.Timestamp}: {timestamp}\r\n{PeerHeaders.Signature}: {signature}\r\n");
        }

        return head.Append("\r\n").ToString();
    }

    /// <summary>Sends one request frame, signed with <paramref name="mac"/> (the lane's own when null).</summary>
    public async Task<uint> SendAsync(KeyOperation operation, string key, string? value = null, long epoch = 1, LaneMac? mac = null)
    {
        var frame = new ArrayBufferWriter<byte>();
        uint id = ++_lastId;
        LaneProtocol.WriteRequest(frame, id, operation, epoch, key, value is null ? null : Encoding.UTF8.GetBytes(value), traceParent: null, mac ?? Mac!);
        _lastFrame = frame.WrittenSpan.ToArray();
        await _stream.WriteAsync(_lastFrame);
        return id;
    }

    /// <summary>Sends one replicate frame, signed with <paramref name="mac"/> (the lane's own when null).
    /// <paramref name="alterKey"/> changes the key's bytes before the frame is signed.</summary>
    public async Task<uint> SendReplicateAsync(KeyOperation operation, string key, string? value, long epoch = 1, long version = 1, long watermark = 0, LaneMac? mac = null, Action<Span<byte>>? alterKey = null)
    {
        var frame = new ArrayBufferWriter<byte>();
        uint id = ++_lastId;
        byte[] bytes = value is null ? [] : Encoding.UTF8.GetBytes(value);
        if (alterKey is null)
        {
            LaneProtocol.WriteReplicate(frame, id, epoch, version, operation, key, bytes, watermark, traceParent: null, mac ?? Mac!);
            _lastFrame = frame.WrittenSpan.ToArray();
        }
        else
        {
            using var scratch = new LaneMac(new byte[32]);
            LaneProtocol.WriteReplicate(frame, id, epoch, version, operation, key, bytes, watermark, traceParent: null, scratch);
            byte[] body = frame.WrittenSpan[LaneProtocol.LengthPrefix..].ToArray();
            alterKey(body.AsSpan(ReplicateKeyOffset, Encoding.UTF8.GetByteCount(key)));
            int signedLength = body.Length - LaneProtocol.MacLength;
            (mac ?? Mac!).Sign(body.AsSpan(0, signedLength), body.AsSpan(signedLength));
            _lastFrame = [.. BitConverter.GetBytes(body.Length), .. body];
        }

        await _stream.WriteAsync(_lastFrame);
        return id;
    }

    /// <summary>Sends one heartbeat frame, signed with <paramref name="mac"/> (the lane's own when null).</summary>
    public async Task<uint> SendHeartbeatAsync(long epoch = 1, long watermark = 0, LaneMac? mac = null)
    {
        var frame = new ArrayBufferWriter<byte>();
        uint id = ++_lastId;
        LaneProtocol.WriteHeartbeat(frame, id, epoch, watermark, mac ?? Mac!);
        _lastFrame = frame.WrittenSpan.ToArray();
        await _stream.WriteAsync(_lastFrame);
        return id;
    }

    /// <summary>Sends one fill frame carrying <paramref name="batch"/>, signed with <paramref name="mac"/>
    /// (the lane's own when null).</summary>
    public async Task<uint> SendFillAsync(byte[] batch, long fillEpoch = 1, LaneMac? mac = null)
    {
        var frame = new ArrayBufferWriter<byte>();
        uint id = ++_lastId;
        LaneProtocol.WriteFill(frame, id, fillEpoch, batch, traceParent: null, mac ?? Mac!);
        _lastFrame = frame.WrittenSpan.ToArray();
        await _stream.WriteAsync(_lastFrame);
        return id;
    }

    /// <summary>Sends the last frame's exact bytes again, as a replaying attacker would.</summary>
    public async Task ResendLastAsync() => await _stream.WriteAsync(_lastFrame);

    /// <summary>The next answer, a forward's, or null when the node closed the lane instead.</summary>
    public async Task<(uint Id, OutcomeKind Kind, string? Value, string Error)?> ReadAnswerAsync()
    {
        byte[]? body = await ReadFrameAsync();
        if (body is null)
        {
            return null;
        }

        LaneAnswerFrame frame = LaneProtocol.ReadAnswer(body);
        return (frame.Id, frame.Kind, frame.HasValue ? Encoding.UTF8.GetString(frame.Value) : null, Encoding.UTF8.GetString(frame.Error));
    }

    /// <summary>The next answer, a replica's acknowledgement, or null when the node closed the lane instead.</summary>
    public async Task<(uint Id, ReplicaAck Ack)?> ReadReplicaAckAsync()
    {
        byte[]? body = await ReadFrameAsync();
        if (body is null)
        {
            return null;
        }

        ReplicaAck ack = LaneProtocol.ReadReplicaAck(body, out uint id);
        return (id, ack);
    }

    /// <summary>The next answer, a lease answer, or null when the node closed the lane instead.</summary>
    public async Task<(uint Id, LeaseAnswer Answer)?> ReadLeaseAnswerAsync()
    {
        byte[]? body = await ReadFrameAsync();
        if (body is null)
        {
            return null;
        }

        LeaseAnswer answer = LaneProtocol.ReadLeaseAnswer(body, out uint id);
        return (id, answer);
    }

    /// <summary>The next answer, a learner's answer to a fill frame, or null when the node closed the lane instead.</summary>
    public async Task<(uint Id, FillAnswer Answer)?> ReadFillAnswerAsync()
    {
        byte[]? body = await ReadFrameAsync();
        if (body is null)
        {
            return null;
        }

        FillAnswer answer = LaneProtocol.ReadFillAnswer(body, out uint id);
        return (id, answer);
    }

    /// <summary>The next frame's body, or null when the node closed the lane instead.</summary>
    private async Task<byte[]?> ReadFrameAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            int bodyLength = LaneProtocol.TryFindFrame(_received.Data, 1 << 20, out int missing);
            if (bodyLength > 0)
            {
                byte[] body = _received.Data.Slice(LaneProtocol.LengthPrefix, bodyLength).ToArray();
                _received.Consume(LaneProtocol.LengthPrefix + bodyLength);
                return body;
            }

            int read;
            try
            {
                read = await _stream.ReadAsync(_received.FreeSpace(Math.Max(missing, 1024)), timeout.Token);
            }
            catch (IOException)
            {
                return null; // reset by the node
            }

            if (read == 0)
            {
                return null;
            }

            _received.Commit(read);
        }
    }

    private async Task ReadUpgradeAnswerAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        int headEnd;
        while ((headEnd = _received.Data.IndexOf("\r\n\r\n"u8)) < 0)
        {
            int read = await _stream.ReadAsync(_received.FreeSpace(1024), timeout.Token);
            if (read == 0)
            {
                throw new IOException("The node closed the connection before answering the upgrade");
            }

            _received.Commit(read);
        }

        string[] head = Encoding.ASCII.GetString(_received.Data[..headEnd]).Split("\r\n");
        _received.Consume(headEnd + 4);
        Status = int.Parse(head[0].Split(' ')[1], CultureInfo.InvariantCulture);
        string? Header(string name) => head.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim();
        AcceptorNonce = Header(PeerHeaders.LaneNonce);
        if (Status != 101)
        {
            Error = JsonNode.Parse(await ReadBodyAsync(Header("Content-Length"), timeout.Token))?["error"]?.GetValue<string>();
        }
    }

    /// <summary>A refused upgrade's body: Content-Length or chunked, as Kestrel sends it.</summary>
    private async Task<string> ReadBodyAsync(string? contentLength, CancellationToken cancellationToken)
    {
        byte[] end = contentLength is null ? "\r\n0\r\n\r\n"u8.ToArray() : [];
        int length = contentLength is null ? -1 : int.Parse(contentLength, CultureInfo.InvariantCulture);
        while (length >= 0 ? _received.Data.Length < length : _received.Data.IndexOf(end) < 0)
        {
            int read = await _stream.ReadAsync(_received.FreeSpace(1024), cancellationToken);
            if (read == 0)
            {
                throw new IOException("The node closed the connection inside a refusal's body");
            }

            _received.Commit(read);
        }

        if (length >= 0)
        {
            return Encoding.UTF8.GetString(_received.Data[..length]);
        }

        var body = new StringBuilder();
        string chunked = Encoding.UTF8.GetString(_received.Data);
        for (int at = 0; ;)
        {
            int lineEnd = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            int size = int.Parse(chunked.AsSpan(at, lineEnd - at), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return body.ToString();
            }

            body.Append(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }

    public ValueTask DisposeAsync()
    {
        Mac?.Dispose();
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
