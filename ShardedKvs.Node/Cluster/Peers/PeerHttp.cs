namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>
/// The HTTP client of control calls to peers: a plain <see cref="HttpClient"/> over a
/// <see cref="SocketsHttpHandler"/> it owns, not one made by <c>IHttpClientFactory</c>, so the host-wide
/// client defaults (service discovery, standard resilience, per-request logging) never apply to it.
/// Peers are literal host:port addresses, a blanket retry of a peer call is unsafe (the peer client
/// decides per call), and the per-request logging scopes cost on every call.
/// </summary>
public sealed class PeerHttp : IDisposable
{
    /// <param name="handler">The pipeline calls go through; tests wrap <see cref="CreateHandler"/> to inject faults.</param>
    public PeerHttp(HttpMessageHandler handler)
    {
        // PeerClient bounds every call with the timeout of its kind.
        Client = new HttpClient(new SocketErrorsAsHttpErrors(handler), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public HttpClient Client { get; }

    /// <summary>One pool of kept-alive connections per peer, reused by every call.</summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        MaxConnectionsPerServer = int.MaxValue,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
    };

    public void Dispose() => Client.Dispose();
}
