using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>The public API as a test calls it: status plus the parsed JSON body.</summary>
public static class KvsClient
{
    public static Task<KvsResponse> PutAsync(this HttpClient client, string key, string value) =>
        SendAsync(client, HttpMethod.Put, $"/kvs/keys/{Uri.EscapeDataString(key)}", JsonContent.Create(new { value }));

    public static Task<KvsResponse> GetKeyAsync(this HttpClient client, string key) =>
        SendAsync(client, HttpMethod.Get, $"/kvs/keys/{Uri.EscapeDataString(key)}");

    public static Task<KvsResponse> DeleteKeyAsync(this HttpClient client, string key) =>
        SendAsync(client, HttpMethod.Delete, $"/kvs/keys/{Uri.EscapeDataString(key)}");

    public static async Task<int> KeyCountAsync(this HttpClient client)
    {
        KvsResponse response = await SendAsync(client, HttpMethod.Get, "/kvs/key-count");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        return response.Body["key-count"]!.GetValue<int>();
    }

    public static Task<KvsResponse> ChangeViewAsync(this HttpClient client, string view) =>
        SendAsync(client, HttpMethod.Put, "/kvs/view-change", JsonContent.Create(new { view }));

    public static async Task<KvsResponse> SendAsync(this HttpClient client, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using HttpResponseMessage response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonObject body;
        try
        {
            body = JsonNode.Parse(text) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException)
        {
            throw new Xunit.Sdk.XunitException($"{method} {path} answered {(int)response.StatusCode} with a body that is not a JSON object: '{text}'");
        }

        return new KvsResponse(response.StatusCode, body, text);
    }
}

public sealed record KvsResponse(HttpStatusCode Status, JsonObject Body, string Text)
{
    public string? Field(string field) => Body[field]?.GetValue<string>();

    public bool? Bool(string field) => Body[field]?.GetValue<bool>();

    public override string ToString() => $"{(int)Status} {Text}";
}
