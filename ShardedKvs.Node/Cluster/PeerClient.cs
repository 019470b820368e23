using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Api;

namespace ShardedKvs.Node.Cluster;

/// <summary>
/// Calls other nodes' internal endpoints over pooled connections. Forwarded writes are never retried
/// once they may have reached the owner: a retry could turn a 201 into a 200, or apply an old value
/// after a newer one. Only a connection that was refused (nothing sent) is tried again.
/// </summary>
public sealed class PeerClient(HttpClient http, IOptions<NodeOptions> options)
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

    public Task<HttpResponseMessage> PostAsync<T>(string target, string path, T message, CancellationToken cancellationToken) =>
        SendControlAsync(target, HttpMethod.Post, path, JsonContent.Create(message, options: NodeJson.Options), cancellationToken);

    public Task<HttpResponseMessage> GetAsync(string target, string path, CancellationToken cancellationToken) =>
        SendControlAsync(target, HttpMethod.Get, path, content: null, cancellationToken);

    private async Task<HttpResponseMessage> SendControlAsync(string target, HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ControlTimeout);
        using var request = new HttpRequestMessage(method, new Uri($"http://{target}{path}")) { Content = content };
        AddIdentity(request);
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
        var request = new HttpRequestMessage(method, new Uri($"http://{target}/internal/keys/{Uri.EscapeDataString(key)}"));
        AddIdentity(request);
        request.Headers.TryAddWithoutValidation(PeerHeaders.Epoch, epoch.ToString(CultureInfo.InvariantCulture));
        if (value is not null)
        {
            request.Content = new ByteArrayContent(value);
        }

        return request;
    }

    private void AddIdentity(HttpRequestMessage request)
    {
        request.Headers.TryAddWithoutValidation(PeerHeaders.ClusterKey, _options.ClusterKey);
        request.Headers.TryAddWithoutValidation(PeerHeaders.Sender, _options.Address);
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
