using System.Text.Json;

namespace ShardedKvs.Tests.Client;

/// <summary>
/// Counts the forwards a client's key requests caused on nodes that run as separate processes (where
/// <see cref="ForwardCounter"/>'s in-process meters cannot reach): a node that forwards a key request
/// names the node that served it in its answer ("address", success and failure alike), so every answer
/// carrying it is one forward. Sits under the client as its HTTP handler and reads each key answer once
/// more (buffered, so the client still reads it).
/// </summary>
internal sealed class ForwardedAnswerCounter() : DelegatingHandler(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2), UseProxy = false })
{
    private long _forwarded;

    public long Forwarded => Interlocked.Read(ref _forwarded);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        if (request.RequestUri!.AbsolutePath.StartsWith("/kvs/keys/", StringComparison.Ordinal))
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            if (NamesAnotherNode(await response.Content.ReadAsByteArrayAsync(cancellationToken)))
            {
                Interlocked.Increment(ref _forwarded);
            }
        }

        return response;
    }

    private static bool NamesAnotherNode(byte[] body)
    {
        try
        {
            using JsonDocument json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("address", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
