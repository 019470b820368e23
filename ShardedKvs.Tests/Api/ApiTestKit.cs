using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>Unique keys, and keys a given node owns (found from the node's own ring).</summary>
internal static class Keys
{
    /// <summary>A key no other test uses: the prefix plus 12 hex digits.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static string OwnedBy(TestNode owner, string prefix)
    {
        while (true)
        {
            string key = Unique(prefix);
            if (OwnerOf(owner, key) == owner.Address)
            {
                return key;
            }
        }
    }

    /// <summary>The owner of <paramref name="key"/> as <paramref name="node"/>'s current view says.</summary>
    public static string OwnerOf(TestNode node, string key) => node.Snapshot.Current.Ring.OwnerOf(key);
}

/// <summary>
/// What a failed request must not change: every running node's key count and epoch (read through
/// the public API), and whether a view change is pending.
/// </summary>
internal static class ClusterProbe
{
    public static async Task<string> DescribeAsync(TestCluster cluster)
    {
        var parts = new List<string>();
        foreach (TestNode node in cluster.Nodes.Where(n => n.IsRunning))
        {
            int count = await node.Client.KeyCountAsync();
            KvsResponse view = await node.Client.SendAsync(HttpMethod.Get, "/kvs/view");
            Assert.Equal(HttpStatusCode.OK, view.Status);
            parts.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"{node.Address}: keys={count} epoch={view.Body["epoch"]} state={view.Field("state")} view={view.Field("view")} pending={view.Body["pendingView"]?.ToJsonString() ?? "none"}"));
        }

        return string.Join(Environment.NewLine, parts);
    }

    /// <summary>The node's view (the comma-separated addresses) and epoch, through the public API.</summary>
    public static async Task<(string View, long Epoch)> ViewAsync(TestNode node)
    {
        KvsResponse view = await node.Client.SendAsync(HttpMethod.Get, "/kvs/view");
        Assert.Equal(HttpStatusCode.OK, view.Status);
        return (view.Field("view")!, view.Body["epoch"]!.GetValue<long>());
    }

    public static async Task<long> EpochAsync(TestNode node)
    {
        KvsResponse view = await node.Client.SendAsync(HttpMethod.Get, "/kvs/view");
        Assert.Equal(HttpStatusCode.OK, view.Status);
        return view.Body["epoch"]!.GetValue<long>();
    }
}

internal static class ApiAssert
{
    /// <summary>The exact status and the exact body: every field, no more, no fewer.</summary>
    public static void Is(KvsResponse response, HttpStatusCode status, JsonObject expected)
    {
        Assert.True(
            response.Status == status && JsonNode.DeepEquals(response.Body, expected),
            $"expected {(int)status} {expected.ToJsonString()}{Environment.NewLine}     got {response}");
    }

    /// <param name="notExecuted">A 503 that proves nothing was executed carries <c>"executed": false</c>.</param>
    public static JsonObject Error(string error, string message, string? address = null, string? view = null, bool notExecuted = false)
    {
        var body = new JsonObject { ["error"] = error, ["message"] = message };
        if (address is not null)
        {
            body["address"] = address;
        }

        if (view is not null)
        {
            body["view"] = view;
        }

        if (notExecuted)
        {
            body["executed"] = false;
        }

        return body;
    }

    /// <summary>GET answers 200 with exactly this value (from any node).</summary>
    public static async Task HasValueAsync(HttpClient client, string key, string value)
    {
        KvsResponse get = await client.GetKeyAsync(key);
        Assert.True(get.Status == HttpStatusCode.OK && get.Field("value") == value, $"GET {key}: expected the value {JsonSerializer.Serialize(value)}, got {Shorten(get.ToString())}");
    }

    public static async Task IsMissingAsync(HttpClient client, string key)
    {
        KvsResponse get = await client.GetKeyAsync(key);
        Assert.True(get.Status == HttpStatusCode.NotFound && get.Bool("doesExist") == false, $"GET {key}: expected 404, got {get}");
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : string.Concat(text.AsSpan(0, 300), "...");
}

/// <summary>Requests with extra headers, still parsed (and asserted) as JSON objects.</summary>
internal static class HeaderRequests
{
    public static async Task<KvsResponse> SendAsync(TestNode node, HttpMethod method, string path, HttpContent? content, params (string Name, string Value)[] headers)
    {
        using var client = new HttpClient { BaseAddress = node.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        foreach ((string name, string value) in headers)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
        }

        return await client.SendAsync(method, path, content);
    }
}

/// <summary>
/// HTTP/1.1 over a bare socket, for request targets HttpClient would "fix" before sending
/// (System.Uri re-escapes "%ZZ" as "%25ZZ" and collapses dot segments).
/// </summary>
internal static class RawHttp
{
    public static async Task<KvsResponse> SendAsync(string address, string method, string target, string? body = null)
    {
        int colon = address.LastIndexOf(':');
        string host = address[..colon];
        int port = int.Parse(address.AsSpan(colon + 1), CultureInfo.InvariantCulture);
        byte[] content = body is null ? [] : Encoding.UTF8.GetBytes(body);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host, port, timeout.Token);
        await using NetworkStream stream = tcp.GetStream();
        string head = string.Create(
            CultureInfo.InvariantCulture,
            $"{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {content.Length}\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);
        await stream.WriteAsync(content, timeout.Token);

        using var received = new MemoryStream();
        await stream.CopyToAsync(received, timeout.Token);
        return Parse(method, target, received.ToArray());
    }

    private static KvsResponse Parse(string method, string target, byte[] raw)
    {
        int headEnd = raw.AsSpan().IndexOf("\r\n\r\n"u8);
        Assert.True(headEnd > 0, $"{method} {target}: no HTTP response: '{Encoding.UTF8.GetString(raw)}'");
        string[] headLines = Encoding.ASCII.GetString(raw, 0, headEnd).Split("\r\n");
        var status = (HttpStatusCode)int.Parse(headLines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        byte[] payload = raw[(headEnd + 4)..];
        if (headLines.Any(l => l.Equals("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)))
        {
            payload = Dechunk(payload);
        }

        string text = Encoding.UTF8.GetString(payload);
        JsonObject? body = null;
        try
        {
            body = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
        }

        return body is null
            ? throw new Xunit.Sdk.XunitException($"{method} {target} answered {(int)status} with a body that is not a JSON object: '{text}'")
            : new KvsResponse(status, body, text);
    }

    private static byte[] Dechunk(byte[] chunked)
    {
        using var result = new MemoryStream();
        int position = 0;
        while (true)
        {
            int lineEnd = position + chunked.AsSpan(position).IndexOf("\r\n"u8);
            int size = int.Parse(Encoding.ASCII.GetString(chunked, position, lineEnd - position), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return result.ToArray();
            }

            result.Write(chunked, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }
    }
}

/// <summary>
/// {"value":"aaaa..."} (or another field, filled with another byte) of any size, written in 64 KB
/// pieces so a test can send tens of megabytes without holding them. With <c>announceLength</c>
/// false it goes out chunked, with no Content-Length.
/// </summary>
internal sealed class LargeValueContent(long valueBytes, bool announceLength, string field = "value", byte fill = (byte)'a') : HttpContent
{
    private static readonly byte[] Suffix = "\"}"u8.ToArray();
    private readonly byte[] _prefix = Encoding.UTF8.GetBytes($"{{\"{field}\":\"");

    public long TotalBytes => _prefix.Length + valueBytes + Suffix.Length;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        byte[] piece = new byte[64 * 1024];
        Array.Fill(piece, fill);
        await stream.WriteAsync(_prefix);
        for (long left = valueBytes; left > 0; left -= piece.Length)
        {
            await stream.WriteAsync(piece.AsMemory(0, (int)Math.Min(piece.Length, left)));
        }

        await stream.WriteAsync(Suffix);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = announceLength ? TotalBytes : 0;
        return announceLength;
    }
}
