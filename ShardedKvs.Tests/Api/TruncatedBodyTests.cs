using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>
/// A caller that goes away in the middle of a body (a peer that gave up on a call once enough others
/// answered, a client that timed out) changes nothing and leaves no error in the node's log: it is the
/// caller's doing, not a fault an operator should chase.
/// </summary>
public sealed class TruncatedBodyTests : IAsyncLifetime
{
    private TestCluster? _cluster;

    private TestCluster Cluster => _cluster!;

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(
        1,
        // "Request finished" tells the test when the node is done with the cut-off request.
        settings: new Dictionary<string, string?> { ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information" },
        configure: (_, builder) => builder.Services.AddFakeLogging());

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("public PUT")]
    [InlineData("signed internal call")]
    public async Task A_body_cut_short_changes_nothing_and_logs_no_error(string call)
    {
        TestNode node = Cluster[0];
        string key = Keys.Unique("cut-short");
        Assert.Equal(HttpStatusCode.Created, (await node.Client.PutAsync(key, "before")).Status);
        bool isPublic = call == "public PUT";
        string target = isPublic ? $"/kvs/keys/{key}" : PeerRoutes.MigrationBatch.Path;
        string method = isPublic ? "PUT" : PeerRoutes.MigrationBatch.Method.Method;
        (string Name, string Value)[] signature = isPublic ? [] : Signatures.Headers(method, target, "never sent", node.Address, TestCluster.ClusterKey);
        FakeLogCollector logs = node.Services.GetFakeLogCollector();

        await SendHalfABodyAndGoAsync(node.Address, method, target, signature, "{\"value\":\"after\"}");

        await Eventually.WaitUntilAsync(
            () => Task.FromResult(logs.GetSnapshot().Any(r => r.Message.StartsWith($"Request finished HTTP/1.1 {method} http://{node.Address}{target}", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(15),
            "the node to finish the cut-off request");
        FakeLogRecord[] errors = [.. logs.GetSnapshot().Where(r => r.Level >= LogLevel.Error)];
        Assert.True(errors.Length == 0, $"the node logged: {string.Join("; ", errors.Select(e => $"{e.Category}: {e.Message}"))}");
        await ApiAssert.HasValueAsync(node.Client, key, "before");
    }

    /// <summary>Announces the whole body, sends half of it, and stops sending.</summary>
    private static async Task SendHalfABodyAndGoAsync(string address, string method, string target, (string Name, string Value)[] headers, string body)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var tcp = new TcpClient();
        int colon = address.LastIndexOf(':');
        await tcp.ConnectAsync(address[..colon], int.Parse(address.AsSpan(colon + 1), CultureInfo.InvariantCulture), timeout.Token);
        NetworkStream stream = tcp.GetStream();
        var head = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{method} {target} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n");
        foreach ((string name, string value) in headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), timeout.Token);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(body[..(body.Length / 2)]), timeout.Token);
        // Its sending side only: the node sees the body end early, as when a caller's HTTP client gives
        // up on a call, rather than a connection that broke (which it ignores anyway).
        tcp.Client.Shutdown(SocketShutdown.Send);
        try
        {
            await stream.CopyToAsync(Stream.Null, timeout.Token);
        }
        catch (IOException)
        {
            // The node may reset the connection instead of answering a caller that stopped sending.
        }
    }
}
