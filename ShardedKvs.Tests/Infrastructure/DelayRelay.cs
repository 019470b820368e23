using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// A slow link in front of one host: a TCP relay that takes the connections other hosts open to it
/// (an iptables REDIRECT sends them here, see <see cref="NetworkNamespaces.DelayBetweenAll"/>) and passes
/// every chunk it reads on, in order, only after <c>delay</c> plus up to <c>jitter</c> milliseconds,
/// in both directions. A reset on one side resets the other. One difference from a slow wire remains: a
/// connection to a host whose node is down is accepted here and then reset, where the node's own port
/// would refuse it (as behind a sidecar proxy or a load balancer).
/// </summary>
/// <remarks>Concurrency: <c>_jitter</c> is guarded by <c>_gate</c>; each direction of a connection
/// has one reading and one writing task, joined by a channel.</remarks>
public sealed class DelayRelay : IDisposable
{
    private const int ChunkBytes = 64 * 1024;
    private readonly Socket _listener;
    private readonly IPEndPoint _target;
    private readonly int _delayMs;
    private readonly int _jitterMs;
    private readonly Random _jitter;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, bool> _open = new();
    private long _relayedBytes;

    /// <param name="listener">Listening inside the host's namespace (<see cref="NamespaceListener"/>); the relay owns it.</param>
    public DelayRelay(Socket listener, IPEndPoint target, int delayMs, int jitterMs, int seed)
    {
        _listener = listener;
        _target = target;
        _delayMs = delayMs;
        _jitterMs = jitterMs;
        _jitter = new Random(seed);
        _ = AcceptAsync();
    }

    /// <summary>Bytes carried so far, both directions: a test checks that its links really were slow.</summary>
    public long RelayedBytes => Interlocked.Read(ref _relayedBytes);

    public void Dispose()
    {
        _stopping.Cancel();
        _listener.Dispose();
        foreach (Socket socket in _open.Keys)
        {
            Reset(socket);
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                Socket inbound = await _listener.AcceptAsync(_stopping.Token);
                _ = RelayAsync(inbound);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Disposed.
        }
    }

    private async Task RelayAsync(Socket inbound)
    {
        var outbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        inbound.NoDelay = true;
        _open[inbound] = true;
        _open[outbound] = true;
        try
        {
            await outbound.ConnectAsync(_target, _stopping.Token);
            await Task.WhenAll(PumpAsync(inbound, outbound), PumpAsync(outbound, inbound));
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The node is down, one side reset, or the relay was disposed: the other side learns it by a reset.
        }
        finally
        {
            Reset(inbound);
            Reset(outbound);
            _open.TryRemove(inbound, out _);
            _open.TryRemove(outbound, out _);
        }
    }

    /// <summary>One direction: reads as it comes, writes each chunk when its time is due, in order.</summary>
    private async Task PumpAsync(Socket from, Socket to)
    {
        var chunks = Channel.CreateUnbounded<(byte[] Buffer, int Length, long Due)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        Task writing = WriteDueAsync(chunks.Reader, from, to);
        long lastDue = 0;
        try
        {
            while (true)
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                int read = await from.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                if (read == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }

                lastDue = Math.Max(lastDue, Stopwatch.GetTimestamp() + Stopwatch.Frequency * NextDelayMs() / 1000);
                chunks.Writer.TryWrite((buffer, read, lastDue));
            }
        }
        finally
        {
            chunks.Writer.TryComplete();
        }

        await writing;
        to.Shutdown(SocketShutdown.Send);
    }

    /// <summary>When writing fails, both sockets are reset, which ends the reading side too.</summary>
    private async Task WriteDueAsync(ChannelReader<(byte[] Buffer, int Length, long Due)> chunks, Socket from, Socket to)
    {
        try
        {
            await foreach ((byte[] buffer, int length, long due) in chunks.ReadAllAsync(_stopping.Token))
            {
                TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _stopping.Token);
                }

                await to.SendAsync(buffer.AsMemory(0, length), SocketFlags.None, _stopping.Token);
                Interlocked.Add(ref _relayedBytes, length);
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            Reset(from);
            Reset(to);
            throw;
        }
    }

    private int NextDelayMs()
    {
        lock (_gate)
        {
            return _delayMs + _jitter.Next(0, _jitterMs + 1);
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.Close(timeout: 0); // abortive: the peer sees a reset, as it would from the node itself
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
