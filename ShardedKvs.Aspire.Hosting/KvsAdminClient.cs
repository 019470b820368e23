using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ShardedKvs.Aspire.Hosting;

/// <summary>
/// The AppHost's client for the nodes' admin API, a singleton registered by
/// <see cref="ShardedKvsBuilderExtensions.AddShardedKvs"/>. It owns its HttpClient rather than taking one
/// from IHttpClientFactory, so no host-wide HttpClient defaults reach it (Aspire's testing builder
/// adds a retrying resilience handler to every factory client): a view change must never be sent
/// twice behind the user's back.
/// </summary>
public sealed class KvsAdminClient : IDisposable
{
    private static readonly TimeSpan ViewTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ViewChangeTimeout = TimeSpan.FromMinutes(5);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        UseProxy = false,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>GET /kvs/view on one node; null when it does not answer or answers with an error.</summary>
    public async Task<NodeViewResponse?> TryGetViewAsync(string address, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ViewTimeout);
        try
        {
            using var response = await _http.GetAsync(UriOf(address, "/kvs/view"), timeout.Token);
            return response.IsSuccessStatusCode
                ? await response.Content.ReadFromJsonAsync<NodeViewResponse>(Json, timeout.Token)
                : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>
    /// PUT /kvs/view-change on <paramref name="coordinator"/> with the admin key as bearer token.
    /// Returns the status code and the parsed body (null when the body was not the expected JSON).
    /// </summary>
    public async Task<(int Status, ViewChangeResponse? Body, string RawBody)> ChangeViewAsync(
        string coordinator, string view, string adminKey, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ViewChangeTimeout);

        using var request = new HttpRequestMessage(HttpMethod.Put, UriOf(coordinator, "/kvs/view-change"))
        {
            Content = JsonContent.Create(new ViewChangeRequest(view), options: Json),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);

        // The view change starts its own trace, named after it in the dashboard, instead of joining
        // whatever trace the command's view lookups belong to.
        System.Diagnostics.Activity.Current = null;
        using var response = await _http.SendAsync(request, timeout.Token);
        var raw = await response.Content.ReadAsStringAsync(timeout.Token);
        ViewChangeResponse? body;
        try
        {
            body = JsonSerializer.Deserialize<ViewChangeResponse>(raw, Json);
        }
        catch (JsonException)
        {
            body = null;
        }

        return ((int)response.StatusCode, body, raw);
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private static Uri UriOf(string address, string path) => new($"http://{address}{path}");
}
