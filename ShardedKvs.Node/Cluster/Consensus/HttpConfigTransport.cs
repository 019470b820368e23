using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Security;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>
/// The configuration log's calls as signed internal HTTP calls (<see cref="PeerRoutes.ConfigPrepare"/> and
/// the rest). Unlike <see cref="PeerClient"/> it does not require the target to be in the round-one
/// view: the configuration log calls only addresses that a decided configuration (or VIEW) names,
/// and a new member must be reachable before any view knows it.
/// </summary>
public sealed class HttpConfigTransport(PeerHttp http, RequestSigner signer) : IConfigTransport
{
    private static PeerJsonContext Json => PeerJsonContext.Default;

    public async Task<VoterAnswer?> PrepareAsync(string target, PrepareBallot prepare, CancellationToken cancellationToken) =>
        (await SendAsync(target, PeerRoutes.ConfigPrepare, Body(ConfigPrepareMessage.From(prepare), Json.ConfigPrepareMessage), Json.ConfigVoteMessage, cancellationToken))?.ToAnswer();

    public async Task<VoterAnswer?> AcceptAsync(string target, AcceptProposal accept, CancellationToken cancellationToken) =>
        (await SendAsync(target, PeerRoutes.ConfigAccept, Body(ConfigAcceptMessage.From(accept), Json.ConfigAcceptMessage), Json.ConfigVoteMessage, cancellationToken))?.ToAnswer();

    public Task DecidedAsync(string target, ClusterConfig decided, CancellationToken cancellationToken) =>
        SendAsync<PeerError>(target, PeerRoutes.ConfigDecided, Body(ConfigMessage.From(decided), Json.ConfigMessage), answer: null, cancellationToken);

    public async Task<ClusterConfig?> LatestAsync(string target, CancellationToken cancellationToken) =>
        (await SendAsync(target, PeerRoutes.ConfigLatest, body: null, Json.ConfigLatestMessage, cancellationToken))?.Latest is { } latest
        && latest.TryToConfig(out ClusterConfig? config, out _)
            ? config
            : null;

    private static byte[] Body<T>(T message, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(message, type);

    private async Task<TAnswer?> SendAsync<TAnswer>(string target, PeerRoute route, byte[]? body, JsonTypeInfo<TAnswer>? answer, CancellationToken cancellationToken)
        where TAnswer : class
    {
        if (!ViewParser.IsValidAddress(target))
        {
            return null;
        }

        using var request = new HttpRequestMessage(route.Method, new Uri($"http://{target}{route.Path}"));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        foreach ((string name, string value) in signer.Sign(route.Method.Method, route.Path, body ?? ReadOnlyMemory<byte>.Empty).All)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        try
        {
            using HttpResponseMessage response = await http.Client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            return response.IsSuccessStatusCode && answer is not null
                ? await response.Content.ReadFromJsonAsync(answer, cancellationToken)
                : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or NotSupportedException or ObjectDisposedException)
        {
            // Down, refusing, gone (the node is stopping), or an answer that does not parse: no answer.
            return null;
        }
    }
}
