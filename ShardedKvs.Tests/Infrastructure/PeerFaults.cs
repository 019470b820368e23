using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// A test-only fault on a node's peer HttpClient: delays or drops chosen internal calls, before they
/// are sent or after the peer answered. Switched on per test; production code knows nothing of it.
/// </summary>
public sealed class PeerFaults
{
    public Func<HttpRequestMessage, TimeSpan> Delay { get; set; } = _ => TimeSpan.Zero;

    /// <summary>Drop the request before it is sent (the peer never sees it).</summary>
    public Func<HttpRequestMessage, bool> DropRequest { get; set; } = _ => false;

    /// <summary>Let the peer process the request, then lose its answer.</summary>
    public Func<HttpRequestMessage, bool> DropResponse { get; set; } = _ => false;

    public void InstallOn(WebApplicationBuilder builder) =>
        builder.Services.AddHttpClient(PeerClient.HttpClientName).AddHttpMessageHandler(() => new FaultHandler(this));

    public static bool IsPath(HttpRequestMessage request, string path) =>
        request.RequestUri?.AbsolutePath.Equals(path, StringComparison.Ordinal) == true;

    private sealed class FaultHandler(PeerFaults faults) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            TimeSpan delay = faults.Delay(request);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken);
            }

            if (faults.DropRequest(request))
            {
                throw new HttpRequestException("injected fault: request dropped");
            }

            HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
            if (faults.DropResponse(request))
            {
                response.Dispose();
                throw new HttpRequestException("injected fault: response lost");
            }

            return response;
        }
    }
}
