using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Peers.Lanes;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// A peer that accepts one lane and then does only what the test makes it do: read the frames sent to
/// it, answer by hand, never answer, or close. It checks no signature or MAC: it stands in for a peer
/// that is slow, partitioned or broken, not for a node.
/// </summary>
public sealed class StandInPeer : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ReceiveBuffer _received = new();
    private TcpClient? _accepted;
    private NetworkStream? _stream;

    public StandInPeer()
    {
        _listener.Start();
        Address = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
    }

    /// <summary>The address a node's lanes reach it at.</summary>
    public string Address { get; }

    /// <summary>Accepts the next connection and answers its lane upgrade.</summary>
    public async Task AcceptLaneAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        _accepted = await _listener.AcceptTcpClientAsync(timeout.Token);
        _stream = _accepted.GetStream();
        int headEnd;
        while ((headEnd = _received.Data.IndexOf("\r\n\r\n"u8)) < 0)
        {
            await ReadMoreAsync(1024, timeout.Token);
        }

        _received.Consume(headEnd + 4);
        await _stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\n{PeerHeaders.LaneNonce}: {LaneHandshake.NewNonce()}\r\n\r\n"), timeout.Token);
    }

    /// <summary>The body of the next frame the lane sent.</summary>
    public async Task<byte[]> ReadFrameAsync()
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

            await ReadMoreAsync(missing, timeout.Token);
        }
    }

    /// <summary>Sends frames written with <see cref="LaneProtocol"/>'s writers.</summary>
    public async Task SendAsync(Action<IBufferWriter<byte>> write)
    {
        var frames = new ArrayBufferWriter<byte>();
        write(frames);
        await _stream!.WriteAsync(frames.WrittenMemory);
    }

    /// <summary>Reads until the lane ends; returns how: <see cref="SocketError.ConnectionReset"/> for a
    /// reset, <see cref="SocketError.Success"/> for an orderly close.</summary>
    public async Task<SocketError> ReadUntilClosedAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[4096];
        try
        {
            while (await _stream!.ReadAsync(buffer, timeout.Token) > 0)
            {
                // whatever the lane still sends, then its end
            }

            return SocketError.Success;
        }
        catch (IOException e) when (e.InnerException is SocketException socket)
        {
            return socket.SocketErrorCode;
        }
    }

    /// <summary>Closes the accepted lane, as a peer that goes away does.</summary>
    public void CloseLane() => _accepted?.Dispose();

    private async Task ReadMoreAsync(int atLeast, CancellationToken cancellationToken)
    {
        int read = await _stream!.ReadAsync(_received.FreeSpace(Math.Max(atLeast, 1024)), cancellationToken);
        if (read == 0)
        {
            throw new IOException("The lane closed");
        }

        _received.Commit(read);
    }

    public void Dispose()
    {
        _accepted?.Dispose();
        _listener.Stop();
    }
}
