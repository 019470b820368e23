using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ShardedKvs.Tests.EndToEnd;

/// <summary>The node's public API as the end-to-end tests call it: raw status plus parsed JSON.</summary>
internal static class KvsApi
{
    public sealed record Answer(HttpStatusCode Status, JsonObject Body)
    {
        public string? String(string name) => Body[name]?.GetValue<string>();

        public override string ToString() => $"{(int)Status} {Body.ToJsonString()}";
    }

    public static Task<Answer> PutKeyAsync(this HttpClient node, string key, string value, CancellationToken ct) =>
        SendAsync(node, new HttpRequestMessage(HttpMethod.Put, KeyPath(key)) { Content = JsonContent.Create(new { value }) }, ct);

    public static Task<Answer> GetKeyAsync(this HttpClient node, string key, CancellationToken ct) =>
        SendAsync(node, new HttpRequestMessage(HttpMethod.Get, KeyPath(key)), ct);

    public static Task<Answer> GetViewAsync(this HttpClient node, CancellationToken ct) =>
        SendAsync(node, new HttpRequestMessage(HttpMethod.Get, "/kvs/view"), ct);

    public static async Task<long> GetKeyCountAsync(this HttpClient node, CancellationToken ct)
    {
        var answer = await SendAsync(node, new HttpRequestMessage(HttpMethod.Get, "/kvs/key-count"), ct);
        Assert.True(answer.Status == HttpStatusCode.OK, $"GET /kvs/key-count on {node.BaseAddress}: {answer}");
        return answer.Body["key-count"]!.GetValue<long>();
    }

    public static Task<Answer> ChangeViewAsync(this HttpClient node, string view, string? adminKey, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, "/kvs/view-change") { Content = JsonContent.Create(new { view }) };
        if (adminKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        }

        return SendAsync(node, request, ct);
    }

    private static JsonObject ParseBody(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject ?? new JsonObject { ["raw"] = text };
        }
        catch (JsonException)
        {
            return new JsonObject { ["raw"] = text };
        }
    }

    private static string KeyPath(string key) => $"/kvs/keys/{Uri.EscapeDataString(key)}";

    private static async Task<Answer> SendAsync(HttpClient node, HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            using var response = await node.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            return new Answer(response.StatusCode, ParseBody(text));
        }
    }
}
