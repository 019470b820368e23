using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Security;

namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>
/// Calls other nodes: key requests over the forwarding lanes, control calls to their internal HTTP
/// endpoints (<see cref="PeerRoutes"/>) over pooled connections. A control call never throws for a
/// peer that is down or slow: it returns a <see cref="PeerCallResult"/> saying whether the peer
/// refused the connection, did not answer, or answered with a status.
/// Forwarded writes are never retried once they may have reached the owner: a retry could turn a
/// 201 into a 200, or apply an old value after a newer one. Only a write that was never sent (no
/// lane could be opened) is tried again.
/// </summary>
public sealed class PeerClient(PeerHttp http, ForwardLanes lanes, RequestSigner signer, ClusterState state, TimeProvider time, IOptions<NodeOptions> options)
{
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

    /// <summary>Nothing was sent: the request was executed nowhere.</summary>
    private static KeyOutcome Unreachable(string target, string error) => new(OutcomeKind.OwnerUnreachable, Owner: target, Error: error) { NeverSent = true };

    /// <summary>Makes one control call and classifies how it went; never throws for a peer that is
    /// down, slow or refusing. The call's timeout is that of its route's kind.</summary>
    public async Task<PeerCallResult> CallAsync(string node, PeerRoute route, object? message, CancellationToken cancellationToken)
    {
        (PeerCallResult result, _) = await SendAsync<object>(node, route, message, answer: null, cancellationToken);
        return result;
    }

    /// <summary>Like <see cref="CallAsync"/>, and reads a successful call's answer as
    /// <typeparamref name="TAnswer"/>; the answer is null when the call failed or the body did not parse.</summary>
    public Task<(PeerCallResult Result, TAnswer? Answer)> CallAsync<TAnswer>(string node, PeerRoute route, object? message, JsonTypeInfo<TAnswer> answer, CancellationToken cancellationToken)
        where TAnswer : class =>
        SendAsync(node, route, message, answer, cancellationToken);

    /// <summary>Like <see cref="CallAsync{TAnswer}"/>, to a node that no view or configuration names
    /// yet: one the operator's view change is adding (that request passed the admin key).</summary>
    public Task<(PeerCallResult Result, TAnswer? Answer)> CallProposedMemberAsync<TAnswer>(string node, PeerRoute route, JsonTypeInfo<TAnswer> answer, CancellationToken cancellationToken)
        where TAnswer : class =>
        SendAsync(node, route, message: null, answer, cancellationToken, namedElsewhere: true);

    /// <summary>Like <see cref="CallAsync{TAnswer}"/>, to a member of an earlier configuration that
    /// the newer ones no longer name: a key's previous primary a view change removed, which its successor
    /// must still ask whether it has finished its writes (see <c>Replication/Promotions</c>). The address
    /// comes from a decided configuration, never from a request.</summary>
    public Task<(PeerCallResult Result, TAnswer? Answer)> CallFormerMemberAsync<TAnswer>(string node, PeerRoute route, object? message, JsonTypeInfo<TAnswer> answer, CancellationToken cancellationToken)
        where TAnswer : class =>
        SendAsync(node, route, message, answer, cancellationToken, namedElsewhere: true);

    private async Task<(PeerCallResult, TAnswer?)> SendAsync<TAnswer>(string node, PeerRoute route, object? message, JsonTypeInfo<TAnswer>? answer, CancellationToken cancellationToken, bool namedElsewhere = false)
        where TAnswer : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(route.Timeout == PeerCallTimeout.Migration ? _options.MigrationTimeout : _options.ControlTimeout);
        try
        {
            using HttpRequestMessage request = CreateRequest(node, route, message, namedElsewhere);
            using HttpResponseMessage response = await http.Client.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                PeerError? error = await TryReadAsync(response, PeerJsonContext.Default.PeerError, timeout.Token);
                return (PeerCallResult.Answered(node, response.StatusCode, error?.Error ?? $"answered {(int)response.StatusCode}"), null);
            }

            TAnswer? body = answer is null ? null : await TryReadAsync(response, answer, timeout.Token);
            return (PeerCallResult.Answered(node, response.StatusCode, null), body);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            return (PeerCallResult.RefusedBy(node), null);
        }
        catch (HttpRequestException)
        {
            return (PeerCallResult.NoAnswerFrom(node, "unreachable"), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (PeerCallResult.NoAnswerFrom(node, "did not answer in time"), null);
        }
    }

    /// <summary>A signed request to <paramref name="node"/>. Only addresses of a view this node knows
    /// (or, <paramref name="namedElsewhere"/>, of an operator's view change or an earlier decided
    /// configuration) are ever called: nothing a request carries can point the peer client anywhere else.</summary>
    private HttpRequestMessage CreateRequest(string node, PeerRoute route, object? message, bool namedElsewhere)
    {
        if (!namedElsewhere && !state.Snapshot.KnowsMember(node))
        {
            throw new HttpRequestException($"{node} is not a member of a view this node knows");
        }

        byte[]? body = message is null ? null : JsonSerializer.SerializeToUtf8Bytes(message, PeerJsonContext.Default.GetTypeInfo(message.GetType())
            ?? throw new InvalidOperationException($"{message.GetType().Name} is not in {nameof(PeerJsonContext)}: add it there"));
        var request = new HttpRequestMessage(route.Method, new Uri($"http://{node}{route.Path}"));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        foreach ((string name, string value) in signer.Sign(route.Method.Method, route.Path, body ?? ReadOnlyMemory<byte>.Empty).All)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    private static async Task<T?> TryReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }
}
