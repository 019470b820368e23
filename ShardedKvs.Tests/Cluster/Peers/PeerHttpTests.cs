using System.Net.Sockets;
using Microsoft.Extensions.Options;
using ShardedKvs.Node;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Security;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Peers;

/// <summary>A socket error that the HTTP stack lets escape unwrapped is still "no answer" to the
/// peer calls, never an exception that stops the node.</summary>
public sealed class PeerHttpTests
{
    [Fact]
    public async Task A_connection_reset_as_it_was_accepted_is_no_answer_to_the_configuration_log()
    {
        using var http = new PeerHttp(new ThrowingHandler(new SocketException((int)SocketError.NotConnected)));
        var keys = new ClusterKeys(TestCluster.ClusterKey);
        var transport = new HttpConfigTransport(http, new RequestSigner(keys, TimeProvider.System, Options.Create(new NodeOptions { Address = "127.0.0.1:1" })));

        Assert.Null(await transport.LatestAsync("127.0.0.1:2", CancellationToken.None));
    }

    [Fact]
    public async Task A_refused_connection_keeps_its_socket_error()
    {
        using var http = new PeerHttp(new ThrowingHandler(new SocketException((int)SocketError.ConnectionRefused)));

        HttpRequestException failure = await Assert.ThrowsAsync<HttpRequestException>(() => http.Client.GetAsync(new Uri("http://127.0.0.1:2/")));

        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(failure.InnerException).SocketErrorCode);
    }

    private sealed class ThrowingHandler(SocketException error) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => throw error;
    }
}
