using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using System.Text.Json;
using ShardedKvs.Node.Api;
using ShardedKvs.Node.Security;

namespace ShardedKvs.Node.Cluster;

/// <summary>
/// Calls other nodes' internal endpoints over pooled connections. Forwarded writes are never retried
/// once they may have reached the owner: a retry could turn a 201 into a 200, or apply an old value
/// after a newer one. Only a connection that was refused (nothing sent) is tried again.
/// </summary>
public sealed class PeerClient(HttpClient http, ClusterKeys keys, ClusterState state, TimeProvider time, IOptions<NodeOptions> options)
{
    public const string HttpClientName = "peers";

    private readonly NodeOptions _options = options.Value;

    public async Task<KeyOutcome> ForwardAsync(string target, long epoch, KeyOperation operation, string key, byte[]? value, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ForwardTimeout);
        for (int attempt = 1; ; attempt++)
        {
            using HttpRequestMessage request = CreateKeyRequest(target, epoch, operation, key, value);
            try
            {
                using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
                return await ReadKeyOutcomeAsync(response, target, operation, timeout.Token);
            }
            catch (HttpRequestException e) when (attempt == 1 && (operation == KeyOperation.Get || IsRefused(e)))
            {
                // Nothing reached the owner (or it was a read): one more try is safe.
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return new KeyOutcome(OutcomeKind.OwnerUnreachable, Owner: target, Error: $"Owner {target} is unreachable");
            }
        }
    }

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

        Sign(request, epoch: "", body);
        HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        return response;
    }

    private HttpRequestMessage CreateKeyRequest(string target, long epoch, KeyOperation operation, string key, byte[]? value)
    {
        HttpMethod method = operation switch
        {
            KeyOperation.Get => HttpMethod.Get,
            KeyOperation.Put => HttpMethod.Put,
            _ => HttpMethod.Delete,
        };
        // The key travels in the query: System.Uri would collapse a path segment such as ".." or "%2E".
        string path = $"/internal/keys?key={Uri.EscapeDataString(key)}";
        var request = new HttpRequestMessage(method, new Uri($"http://{target}{path}"));
        string epochText = epoch.ToString(CultureInfo.InvariantCulture);
        request.Headers.TryAddWithoutValidation(PeerHeaders.Epoch, epochText);
        if (value is not null)
        {
            request.Content = new ByteArrayContent(value);
        }

        Sign(request, epochText, value);
        return request;
    }

    /// <summary>Signs the request target exactly as it goes on the wire; the receiver checks its raw target.
    /// Only addresses of a view this node knows are ever called: nothing a request carries can point
    /// the peer client anywhere else.</summary>
    private void Sign(HttpRequestMessage request, string epoch, byte[]? body)
    {
        string target = $"{request.RequestUri!.Host}:{request.RequestUri.Port}"; // Authority drops port 80
        if (!state.Snapshot.KnowsMember(target))
        {
            throw new HttpRequestException($"{target} is not a member of a view this node knows");
        }

        string timestamp = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        string signature = keys.Sign(new SignedFields(request.Method.Method, request.RequestUri!.PathAndQuery, _options.Address, epoch, timestamp, body ?? ReadOnlyMemory<byte>.Empty));
        request.Headers.TryAddWithoutValidation(PeerHeaders.Sender, _options.Address);
        request.Headers.TryAddWithoutValidation(PeerHeaders.Timestamp, timestamp);
        request.Headers.TryAddWithoutValidation(PeerHeaders.Signature, signature);
    }

    private static async Task<KeyOutcome> ReadKeyOutcomeAsync(HttpResponseMessage response, string target, KeyOperation operation, CancellationToken cancellationToken)
    {
        string owner = response.Headers.TryGetValues(PeerHeaders.Owner, out IEnumerable<string>? owners) ? owners.First() : target;
        switch (response.StatusCode, operation)
        {
            case (HttpStatusCode.OK, KeyOperation.Get):
                return KeyOutcome.Found(await response.Content.ReadAsByteArrayAsync(cancellationToken)) with { Owner = owner };
            case (HttpStatusCode.OK, KeyOperation.Delete):
                return KeyOutcome.Deleted with { Owner = owner };
            case (HttpStatusCode.NotFound, KeyOperation.Get or KeyOperation.Delete):
                return KeyOutcome.NotFound with { Owner = owner };
            case (HttpStatusCode.Created, KeyOperation.Put):
                return KeyOutcome.Created with { Owner = owner };
            case (HttpStatusCode.OK, KeyOperation.Put):
                return KeyOutcome.Replaced with { Owner = owner };
            default:
                PeerError? error = await TryReadErrorAsync(response, cancellationToken);
                return new KeyOutcome(OutcomeKind.OwnerUnavailable, Owner: owner, Error: error?.Error ?? $"Owner {owner} answered {(int)response.StatusCode}");
        }
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

    private static bool IsRefused(HttpRequestException e) =>
        e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
}
