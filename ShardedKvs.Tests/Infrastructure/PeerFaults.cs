using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// A test-only fault on a node's peer HTTP client: holds, delays or drops chosen internal calls,
/// before they are sent or after the peer answered. Switched on per test; production code knows
/// nothing of it (it wraps the handler of <see cref="PeerHttp"/>).
/// </summary>
public sealed class PeerFaults
{
    /// <summary>A call waits for the returned task (a gate the test releases) before it is sent; null lets it go.</summary>
    public Func<HttpRequestMessage, Task?> Hold { get; set; } = _ => null;

    public Func<HttpRequestMessage, TimeSpan> Delay { get; set; } = _ => TimeSpan.Zero;

    /// <summary>Drop the request before it is sent (the peer never sees it).</summary>
    public Func<HttpRequestMessage, bool> DropRequest { get; set; } = _ => false;

    /// <summary>Let the peer process the request, then lose its answer.</summary>
    public Func<HttpRequestMessage, bool> DropResponse { get; set; } = _ => false;

    /// <summary>Registered before the node's own services, so the node uses this client.</summary>
    public void InstallOn(WebApplicationBuilder builder) =>
        builder.Services.AddSingleton(_ => new PeerHttp(new FaultHandler(this) { InnerHandler = PeerHttp.CreateHandler() }));

    public static bool Is(HttpRequestMessage request, PeerRoute route) =>
        request.Method == route.Method && request.RequestUri?.AbsolutePath.Equals(route.Path, StringComparison.Ordinal) == true;

    /// <summary>The node that sent the call.</summary>
    public static string? Sender(HttpRequestMessage request) =>
        request.Headers.TryGetValues(PeerHeaders.Sender, out IEnumerable<string>? values) ? values.FirstOrDefault() : null;

    private sealed class FaultHandler(PeerFaults faults) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (faults.Hold(request) is { } gate)
            {
                await gate.WaitAsync(cancellationToken);
            }

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
