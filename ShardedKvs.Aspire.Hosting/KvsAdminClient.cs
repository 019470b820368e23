using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ShardedKvs.Aspire.Hosting;

/// <summary>
/// The AppHost's client for the nodes' admin API, a singleton registered by
/// <see cref="ShardedKvsBuilderExtensions.AddShardedKvs"/>. It owns its HttpClient rather than taking one
/// from IHttpClientFactory, so no host-wide HttpClient defaults reach it (Aspire's testing builder
/// adds a retrying resilience handler to every factory client): a view change or a forced exclusion
/// must never be sent twice behind the user's back.
/// </summary>
public sealed class KvsAdminClient : IDisposable
{
    private static readonly TimeSpan ViewTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ViewChangeTimeout = TimeSpan.FromMinutes(5);

    // The node decides a forced exclusion locally and tells the others in the background: it answers at once.
    private static readonly TimeSpan ForceExclusionTimeout = TimeSpan.FromSeconds(10);
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
    public Task<(int Status, ViewChangeResponse? Body, string RawBody)> ChangeViewAsync(
        string coordinator, string view, string adminKey, CancellationToken cancellationToken) =>
        SendAdminAsync<ViewChangeResponse>(
            HttpMethod.Put, coordinator, "/kvs/view-change", JsonContent.Create(new ViewChangeRequest(view), options: Json),
            adminKey, ViewChangeTimeout, cancellationToken);

    /// <summary>
    /// POST /kvs/admin/force-exclusion on <paramref name="survivor"/> with the admin key as bearer token:
    /// that node alone excludes every voter it has not heard from lately, or refuses and says why.
    /// Returns the status code and the parsed body (null when the body was not the expected JSON).
    /// </summary>
    public Task<(int Status, ForcedExclusionResponse? Body, string RawBody)> ForceExclusionAsync(
        string survivor, string adminKey, CancellationToken cancellationToken) =>
        SendAdminAsync<ForcedExclusionResponse>(
            HttpMethod.Post, survivor, "/kvs/admin/force-exclusion", content: null, adminKey, ForceExclusionTimeout, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private async Task<(int Status, TResponse? Body, string RawBody)> SendAdminAsync<TResponse>(
        HttpMethod method, string address, string path, HttpContent? content, string adminKey, TimeSpan limit, CancellationToken cancellationToken)
        where TResponse : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);

        using var request = new HttpRequestMessage(method, UriOf(address, path)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);

        // The admin call starts its own trace, named after it in the dashboard, instead of joining
        // whatever trace the command's view lookups belong to.
        System.Diagnostics.Activity.Current = null;
        using var response = await _http.SendAsync(request, timeout.Token);
        var raw = await response.Content.ReadAsStringAsync(timeout.Token);
        TResponse? body;
        try
        {
            body = JsonSerializer.Deserialize<TResponse>(raw, Json);
        }
        catch (JsonException)
        {
            body = null;
        }

        return ((int)response.StatusCode, body, raw);
    }

    private static Uri UriOf(string address, string path) => new($"http://{address}{path}");
}
