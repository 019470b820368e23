using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Security;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// This node's lanes to its peers, one per peer, opened on first use and shared by every forward,
/// replicated write and heartbeat to that peer. A lane that breaks is dropped and the next forward opens a new one; a lane left idle for
/// <see cref="NodeOptions.KeepAliveTimeout"/> is closed.
/// </summary>
public sealed class ForwardLanes : IDisposable
{
    private const int MaxUpgradeAnswerBytes = 8 * 1024;

    private readonly ConcurrentDictionary<string, Task<ForwardLane>> _lanes = new(StringComparer.Ordinal);
    private readonly ClusterKeys _keys;
    private readonly RequestSigner _signer;
    private readonly TimeProvider _time;
    private readonly NodeOptions _options;
    private readonly ITimer _sweeper;

    public ForwardLanes(ClusterKeys keys, RequestSigner signer, TimeProvider time, IOptions<NodeOptions> options)
    {
        _keys = keys;
        _signer = signer;
        _time = time;
        _options = options.Value;
        // A deadline is noticed within one period: a quarter of a forward's, and at most 250 ms for
        // replication's heartbeats, whose deadlines are a few hundred milliseconds.
        TimeSpan period = TimeSpan.FromTicks(Math.Clamp(_options.ForwardTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerMillisecond * 250));
        _sweeper = time.CreateTimer(_ => Sweep(), null, period, period);
    }

    /// <summary>The largest frame a lane accepts: a value as large as a public PUT may carry, or a fill
    /// batch (which holds at least one such value), plus the rest.</summary>
    public static int MaxFrameBytes(NodeOptions options) => Math.Max(options.MaxRequestBodyBytes, options.FillBatchBytes) + 64 * 1024;

    /// <summary>The lane to <paramref name="target"/> when one is open now; never opens one.</summary>
    public bool TryGetOpen(string target, [NotNullWhen(true)] out ForwardLane? lane)
    {
        lane = _lanes.TryGetValue(target, out Task<ForwardLane>? opened) && opened.IsCompletedSuccessfully && !opened.Result.IsClosed ? opened.Result : null;
        return lane is not null;
    }

    /// <summary>The open lane to <paramref name="target"/>, or a new one. Throws when it cannot be
    /// opened; then nothing was sent.</summary>
    public ValueTask<ForwardLane> GetAsync(string target) =>
        TryGetOpen(target, out ForwardLane? lane) ? new ValueTask<ForwardLane>(lane) : new ValueTask<ForwardLane>(GetOrOpenAsync(target));

    private async Task<ForwardLane> GetOrOpenAsync(string target)
    {
        while (true)
        {
            if (_lanes.TryGetValue(target, out Task<ForwardLane>? existing))
            {
                if (!existing.IsCompleted)
                {
                    return await existing;
                }

                if (existing.IsCompletedSuccessfully && !existing.Result.IsClosed)
                {
                    return existing.Result;
                }

                _lanes.TryRemove(KeyValuePair.Create(target, existing));
            }

            var opening = new TaskCompletionSource<ForwardLane>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_lanes.TryAdd(target, opening.Task))
            {
                continue;
            }

            try
            {
                ForwardLane lane = await OpenAsync(target);
                opening.SetResult(lane);
                return lane;
            }
            catch (Exception e)
            {
                _lanes.TryRemove(KeyValuePair.Create(target, opening.Task));
                opening.SetException(e);
                _ = opening.Task.Exception; // observed here; concurrent openers get it from their await
                throw;
            }
        }
    }

    private async Task<ForwardLane> OpenAsync(string target)
    {
        int colon = target.LastIndexOf(':');
        string host = target[..colon].Trim('[', ']');
        int port = int.Parse(target.AsSpan(colon + 1), CultureInfo.InvariantCulture);

        using var timeout = new CancellationTokenSource(_options.ForwardConnectTimeout, _time);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new DnsEndPoint(host, port), timeout.Token);
            var stream = new NetworkStream(socket, ownsSocket: true);
            string nonce = LaneHandshake.NewNonce();
            string pathAndQuery = $"{LaneHandshake.Path}?{LaneHandshake.NonceParameter}={nonce}";
            var upgrade = new StringBuilder($"GET {pathAndQuery} HTTP/1.1\r\nHost: {target}\r\nConnection: Upgrade\r\nUpgrade: {LaneHandshake.Protocol}\r\n");
            foreach ((string name, string value) in _signer.Sign("GET", pathAndQuery, ReadOnlyMemory<byte>.Empty).All)
            {
                upgrade.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
            }

            upgrade.Append("\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(upgrade.ToString()), timeout.Token);

            var received = new ReceiveBuffer();
            string acceptorNonce = await ReadUpgradeAnswerAsync(stream, received, target, timeout.Token);
            byte[] sessionKey = _keys.DeriveLaneKey(0, LaneHandshake.SessionContext(_options.Address, nonce, acceptorNonce));
            return new ForwardLane(target, stream, new LaneMac(sessionKey), received, MaxFrameBytes(_options), _time);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads the answer's head; any bytes after it stay in <paramref name="received"/>.</summary>
    private static async Task<string> ReadUpgradeAnswerAsync(Stream stream, ReceiveBuffer received, string target, CancellationToken cancellationToken)
    {
        int headEnd;
        while ((headEnd = received.Data.IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (received.Data.Length >= MaxUpgradeAnswerBytes)
            {
                throw new LaneProtocolException($"{target} answered the lane upgrade with an oversized head");
            }

            int read = await stream.ReadAsync(received.FreeSpace(1024), cancellationToken);
            if (read == 0)
            {
                throw new IOException($"{target} closed the connection during the lane upgrade");
            }

            received.Commit(read);
        }

        string head = Encoding.ASCII.GetString(received.Data[..headEnd]);
        received.Consume(headEnd + 4);
        string[] lines = head.Split("\r\n");
        if (!lines[0].StartsWith("HTTP/1.1 101 ", StringComparison.Ordinal))
        {
            throw new LaneProtocolException($"{target} refused a forwarding lane: {lines[0]}");
        }

        string prefix = PeerHeaders.LaneNonce + ":";
        string? nonce = lines.FirstOrDefault(line => line.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))?[prefix.Length..].Trim();
        return LaneHandshake.IsNonce(nonce) ? nonce! : throw new LaneProtocolException($"{target} accepted a lane without a valid nonce");
    }

    private void Sweep()
    {
        long now = _time.GetTimestamp();
        long idle = (long)(_options.KeepAliveTimeout.TotalSeconds * _time.TimestampFrequency);
        foreach (KeyValuePair<string, Task<ForwardLane>> entry in _lanes)
        {
            if (entry.Value.IsCompletedSuccessfully)
            {
                entry.Value.Result.Sweep(now, idle);
                if (entry.Value.Result.IsClosed)
                {
                    _lanes.TryRemove(entry);
                }
            }
        }
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        foreach (Task<ForwardLane> lane in _lanes.Values)
        {
            if (lane.IsCompletedSuccessfully)
            {
                lane.Result.Close();
            }
        }
    }
}
