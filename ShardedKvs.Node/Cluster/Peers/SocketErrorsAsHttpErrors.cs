using System.Net.Sockets;

namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>
/// Reports every socket failure of a peer call as an <see cref="HttpRequestException"/>, the one
/// exception the callers treat as "no answer". <see cref="SocketsHttpHandler"/> lets one kind escape
/// unwrapped: a connection reset right after it was accepted throws ENOTCONN where the pool reads the
/// connection's remote end point. Seen with a relay in front of a node that was not listening yet (the
/// slow links of the fault tests, as behind a sidecar proxy or a load balancer): the formation's
/// catch-up did not catch it and the node stopped.
/// </summary>
public sealed class SocketErrorsAsHttpErrors(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError, e.Message, e);
        }
    }
}
