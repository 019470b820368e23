using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace ShardedKvs.Tests.Client;

/// <summary>
/// A fake cluster behind an HttpMessageHandler: GET /kvs/view answers with <see cref="View"/>, and
/// each key request is answered by <see cref="Answer"/>. Every request is recorded, so a test sees
/// exactly what the client sent where.
/// </summary>
internal sealed class ScriptedNodes : HttpMessageHandler
{
    public ConcurrentQueue<(HttpMethod Method, string Node, string Path)> Requests { get; } = new();

    /// <summary>The view every node reports: (epoch, "h1:p1,h2:p2"). Change it to simulate a view change.</summary>
    public (long Epoch, string View) View { get; set; } = (1, "n1:1,n2:2,n3:3");

    /// <summary>When set, the body of GET /kvs/view on a node (replicated views); <see cref="View"/> otherwise.</summary>
    public Func<string, string>? ViewJson { get; set; }

    /// <summary>Answers a key request: (method, node, key) → response, or throws to simulate a transport failure.</summary>
    public Func<HttpMethod, string, string, HttpResponseMessage> Answer { get; set; } =
        (method, _, _) => Json(method == HttpMethod.Put ? HttpStatusCode.Created : HttpStatusCode.OK, """{"doesExist":true,"value":"v"}""");

    public IEnumerable<(HttpMethod Method, string Node, string Path)> KeyRequests =>
        Requests.Where(r => r.Path.StartsWith("/kvs/keys/", StringComparison.Ordinal));

    public int ViewRequests => Requests.Count(r => r.Path == "/kvs/view");

    /// <summary>A replicated node's view answer: every member of <paramref name="states"/> is placed.</summary>
    public static string ReplicatedView(string self, long epoch, int replicationFactor, IReadOnlyDictionary<string, string> states)
    {
        string members = string.Join(',', states.Select(m => $$"""{"address":"{{m.Key}}","incarnation":"1","state":"{{m.Value}}"}"""));
        string placement = string.Join(',', states.Keys.Select(a => $"\"{a}\""));
        string view = string.Join(',', states.Keys);
        return $$"""{"message":"View retrieved successfully","address":"{{self}}","state":"{{states[self]}}","epoch":{{epoch}},"view":"{{view}}","tokensPerNode":16,"replicationFactor":{{replicationFactor}},"members":[{{members}}],"placement":[{{placement}}]}""";
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Uri uri = request.RequestUri!;
        string node = uri.Authority;
        string path = uri.AbsolutePath;
        Requests.Enqueue((request.Method, node, path));
        if (path == "/kvs/view" && ViewJson is not null)
        {
            return Task.FromResult(Json(HttpStatusCode.OK, ViewJson(node)));
        }

        if (path == "/kvs/view")
        {
            (long epoch, string view) = View;
            return Task.FromResult(Json(HttpStatusCode.OK,
                $$"""{"message":"View retrieved successfully","address":"{{node}}","state":"serving","epoch":{{epoch}},"view":"{{view}}","tokensPerNode":16}"""));
        }

        string key = Uri.UnescapeDataString(uri.AbsolutePath["/kvs/keys/".Length..]);
        return Task.FromResult(Answer(request.Method, node, key));
    }
}
