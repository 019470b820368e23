using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Api;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Security;

namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>
/// Calls other nodes: key requests over the forwarding lanes, control calls to their internal HTTP
/// endpoints over pooled connections. Forwarded writes are never retried once they may have reached
/// the owner: a retry could turn a 201 into a 200, or apply an old value after a newer one. Only a
/// write that was never sent (no lane could be opened) is tried again.
/// </summary>
public sealed class PeerClient(HttpClient http, ForwardLanes lanes, ClusterKeys keys, ClusterState state, TimeProvider time, IOptions<NodeOptions> options)
{
    public const string HttpClientName = "peers";

    private readonly NodeOptions _options = options.Value;

    /// <summary>Sends a key request to its owner over the lane to it and waits for the answer, at most
    /// <see cref="NodeOptions.ForwardTimeout"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<KeyOutcome> ForwardAsync(string target, long epoch, KeyOperation operation, string key, byte[]? value)
    {
        if (!state.Snapshot.KnowsMember(target))
        {
            return Unreachable(target, $"{target} is not a member of a view this node knows");
        }

        long deadline = time.GetTimestamp() + (long)(_options.ForwardTimeout.TotalSeconds * time.TimestampFrequency);
        string? traceParent = Activity.Current?.Id;
        for (int attempt = 1; ; attempt++)
        {
            ForwardLane lane;
            try
            {
                lane = await lanes.GetAsync(target);
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or LaneProtocolException)
            {
                // The lane could not be opened, so nothing was sent: one more try is safe.
                if (attempt == 1)
                {
                    continue;
                }

                return Unreachable(target, $"Owner {target} is unreachable");
            }

            if (!lane.TrySend(operation, key, value, epoch, traceParent, deadline, out ValueTask<LaneAnswer> sent))
            {
                if (attempt == 1)
                {
                    continue; // the lane closed before this request went on it
                }

                return Unreachable(target, $"Owner {target} is unreachable");
            }

            LaneAnswer answer = await sent;
            if (answer.ConnectionLost && operation == KeyOperation.Get && attempt == 1)
            {
                continue; // a read may be repeated; a write that may have landed may not
            }

            return answer.Outcome;
        }
    }

    private static KeyOutcome Unreachable(string target, string error) => new(OutcomeKind.OwnerUnreachable, Owner: target, Error: error);

    /// <param name="timeout">How long the call may take; <see cref="NodeOptions.ControlTimeout"/> when null.</param>
    public Task<HttpResponseMessage> PostAsync<T>(string target, string path, T message, CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        SendControlAsync(target, HttpMethod.Post, path, JsonSerializer.SerializeToUtf8Bytes(message, NodeJson.Options), timeout, cancellationToken);

    public Task<HttpResponseMessage> GetAsync(string target, string path, CancellationToken cancellationToken) =>
        SendControlAsync(target, HttpMethod.Get, path, body: null, limit: null, cancellationToken);

    private async Task<HttpResponseMessage> SendControlAsync(string target, HttpMethod method, string path, byte[]? body, TimeSpan? limit, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit ?? _options.ControlTimeout);
        using var request = new HttpRequestMessage(method, new Uri($"http://{target}{path}"));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        Sign(request, body);
        HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        return response;
    }

    /// <summary>Signs the request target exactly as it goes on the wire; the receiver checks its raw target.
    /// Only addresses of a view this node knows are ever called: nothing a request carries can point
    /// the peer client anywhere else.</summary>
    private void Sign(HttpRequestMessage request, byte[]? body)
    {
        string target = $"{request.RequestUri!.Host}:{request.RequestUri.Port}"; // Authority drops port 80
        if (!state.Snapshot.KnowsMember(target))
        {
            throw new HttpRequestException($"{target} is not a member of a view this node knows");
        }

        string timestamp = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        string signature = keys.Sign(new SignedFields(request.Method.Method, request.RequestUri!.PathAndQuery, _options.Address, timestamp, body ?? ReadOnlyMemory<byte>.Empty));
        request.Headers.TryAddWithoutValidation(PeerHeaders.Sender, _options.Address);
        request.Headers.TryAddWithoutValidation(PeerHeaders.Timestamp, timestamp);
        request.Headers.TryAddWithoutValidation(PeerHeaders.Signature, signature);
    }

    public static async Task<PeerError?> TryReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(NodeJson.Context.PeerError, cancellationToken);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }
}
