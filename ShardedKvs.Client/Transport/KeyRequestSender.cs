using System.Net.Http.Json;
using System.Text.Json;
using ShardedKvs.Client.Retries;

namespace ShardedKvs.Client.Transport;

/// <summary>Sends one key request to one node and says what came back. Never retries by itself.</summary>
internal sealed class KeyRequestSender(HttpClient http)
{
    private const string KeysPath = "/kvs/keys/";

    public async Task<AttemptResult> SendAsync(
        KeyOperation operation, string node, string key, string? value, CancellationToken attemptToken, CancellationToken callerToken)
    {
        using var request = new HttpRequestMessage(MethodOf(operation), UriOf(node, key));
        if (operation == KeyOperation.Put)
        {
            request.Content = JsonContent.Create(new PutBody(value!), ClientJson.Default.PutBody);
        }

        try
        {
            using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, attemptToken);
            KeyAnswer? answer = await ReadAnswerAsync(response, attemptToken);
            return AttemptClassifier.Classify(node, (int)response.StatusCode, answer);
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
        {
            // The connection never opened, so the request never left.
            return new AttemptResult(AttemptKind.Failed, node, Failure: AttemptFailure.NotSent, Error: e);
        }
        catch (HttpRequestException e)
        {
            return new AttemptResult(AttemptKind.Failed, node, Failure: AttemptFailure.NoAnswer, Error: e);
        }
        catch (OperationCanceledException e) when (!callerToken.IsCancellationRequested)
        {
            // The attempt's own deadline: the request may be on its way or done.
            return new AttemptResult(AttemptKind.Failed, node, Failure: AttemptFailure.NoAnswer, Error: new TimeoutException($"{node} did not answer in time", e));
        }
    }

    /// <summary>The URI of a key on a node: the key percent-encoded once, as the node decodes it once.</summary>
    public static Uri UriOf(string node, string key) => new($"http://{node}{KeysPath}{Uri.EscapeDataString(key)}");

    private static HttpMethod MethodOf(KeyOperation operation) => operation switch
    {
        KeyOperation.Get => HttpMethod.Get,
        KeyOperation.Put => HttpMethod.Put,
        _ => HttpMethod.Delete,
    };

    private static async Task<KeyAnswer?> ReadAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(ClientJson.Default.KeyAnswer, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
