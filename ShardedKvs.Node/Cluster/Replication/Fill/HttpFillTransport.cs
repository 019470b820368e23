using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Security;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// Batches travel as signed <c>POST /internal/fill/batch</c> calls with a binary body, over the peers'
/// pooled connections (<see cref="PeerHttp"/>). Learners are called at the addresses a decided
/// configuration names, which the round-one view may not know yet, so this does not go through
/// <see cref="PeerClient"/>'s view check; the learner authenticates the call by its signature alone.
/// </summary>
public sealed class HttpFillTransport(PeerHttp http, RequestSigner signer, IOptions<NodeOptions> options) : IFillTransport
{
    private static readonly MediaTypeHeaderValue BatchType = new(FillBatchFormat.ContentType);

    private readonly TimeSpan _timeout = options.Value.ControlTimeout;

    public async Task<FillSendResult> SendAsync(PlacedMember learner, long fillEpoch, FillBatch batch, CancellationToken cancellationToken)
    {
        string node = learner.Address;
        PeerRoute route = PeerRoutes.FillBatch;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            // The fill epoch travels in the signed target, so the learner can refuse a copy of a fill
            // it is not running (FillBatchQuery).
            string target = FillBatchQuery.TargetFor(fillEpoch);
            using var request = new HttpRequestMessage(route.Method, new Uri($"http://{node}{target}"))
            {
                Content = new ByteArrayContent(batch.Body),
            };
            request.Content.Headers.ContentType = BatchType;
            foreach ((string name, string value) in signer.Sign(route.Method.Method, target, batch.Body).All)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using HttpResponseMessage response = await http.Client.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                PeerError? error = await TryReadAsync(response, PeerJsonContext.Default.PeerError, timeout.Token);
                return new(PeerCallResult.Answered(node, response.StatusCode, error?.Error ?? $"answered {(int)response.StatusCode}"), null);
            }

            FillBatchReply? reply = await TryReadAsync(response, FillJsonContext.Default.FillBatchReply, timeout.Token);
            return new(PeerCallResult.Answered(node, response.StatusCode, null), reply);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            return new(PeerCallResult.RefusedBy(node), null);
        }
        catch (HttpRequestException)
        {
            return new(PeerCallResult.NoAnswerFrom(node, "unreachable"), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new(PeerCallResult.NoAnswerFrom(node, "did not answer in time"), null);
        }
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
