using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Security;

/// <summary>Slowloris: sockets that trickle header bytes must not starve real clients, and are closed.</summary>
public sealed class SlowClientTests(ITestOutputHelper output)
{
    private const int SlowSockets = 200;

    [Fact]
    public async Task Trickling_sockets_are_closed_by_the_header_timeout_while_normal_clients_keep_working()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(
            nodes: 1,
            settings: new Dictionary<string, string?> { ["Kvs:RequestHeadersTimeout"] = "00:00:02" });
        var endpoint = IPEndPoint.Parse(cluster[0].Address);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var slow = new List<Socket>();
        for (int i = 0; i < SlowSockets; i++)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endpoint, stop.Token);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /kvs/key-count HTTP/1.1\r\nHost: x\r\n"), stop.Token);
            slow.Add(socket);
        }

        // Each slow socket keeps sending a header line now and then, never finishing its headers,
        // and reports when the server closes it.
        Stopwatch clock = Stopwatch.StartNew();
        Task<TimeSpan>[] closed = slow.Select(socket => TrickleUntilClosedAsync(socket, clock, stop.Token)).ToArray();

        int served = 0;
        while (!closed.All(c => c.IsCompleted))
        {
            stop.Token.ThrowIfCancellationRequested();
            string key = $"normal-{served}";
            Assert.Equal(HttpStatusCode.Created, (await cluster[0].Client.PutAsync(key, "v")).Status);
            Assert.Equal("v", (await cluster[0].Client.GetKeyAsync(key)).Field("value"));
            served++;
        }

        TimeSpan[] closedAfter = await Task.WhenAll(closed);
        output.WriteLine($"{served} normal PUT+GET pairs served; slow sockets closed after {closedAfter.Min().TotalSeconds:0.0}-{closedAfter.Max().TotalSeconds:0.0} s");
        Assert.True(served > 0);
        slow.ForEach(s => s.Dispose());
    }

    private static async Task<TimeSpan> TrickleUntilClosedAsync(Socket socket, Stopwatch clock, CancellationToken cancellationToken)
    {
        byte[] header = Encoding.ASCII.GetBytes("X-Slow: 1\r\n");
        byte[] response = new byte[1024];
        Task<int> receive = socket.ReceiveAsync(response, cancellationToken).AsTask();
        while (true)
        {
            Task tick = Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            if (await Task.WhenAny(receive, tick) == receive)
            {
                return clock.Elapsed; // the server answered (408) or closed the connection
            }

            try
            {
                await socket.SendAsync(header, cancellationToken);
            }
            catch (SocketException)
            {
                return clock.Elapsed;
            }
        }
    }
}
