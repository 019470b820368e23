using System.Net;

namespace ShardedKvs.Tests.EndToEnd;

/// <summary>The cluster the AppHost starts: its view forms, and any node answers for any key.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class ClusterBasicsTests(ClusterBasicsFixture cluster) : IClassFixture<ClusterBasicsFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Cluster_starts_and_the_initial_view_serves_on_every_node()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var expectedView = string.Join(',', Enumerable.Range(1, KvsClusterFixture.ViewSize).Select(cluster.AddressOf));

        for (var node = 1; node <= KvsClusterFixture.ViewSize; node++)
        {
            var view = await cluster.Client(node).GetViewAsync(timeout.Token);
            Assert.True(view.Status == HttpStatusCode.OK, $"node-{node}: {view}");
            Assert.Equal("serving", view.String("state"));
            Assert.Equal(cluster.AddressOf(node), view.String("address"));
            Assert.Equal(expectedView, view.String("view"));
        }

        var idle = await cluster.Client(4).GetViewAsync(timeout.Token);
        Assert.Equal("idle", idle.String("state"));
    }

    // The node's /health is a scheduler's readiness probe (503 while idle); the dashboard must still
    // tell a node waiting to be added from a broken one.
    [Fact]
    public async Task The_dashboard_shows_serving_nodes_healthy_and_the_idle_node_degraded_with_its_reason()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var idle = await cluster.App.ResourceNotifications.WaitForResourceAsync(
            "node-4", e => e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, timeout.Token);
        var serving = await cluster.App.ResourceNotifications.WaitForResourceAsync(
            "node-1", e => e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, timeout.Token);

        Assert.Contains(idle.Snapshot.HealthReports, report => report.Description is { } d && d.Contains("idle", StringComparison.Ordinal));
        Assert.Contains(serving.Snapshot.HealthReports, report => report.Description is { } d && d.Contains("serving", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Keys_written_through_one_node_are_read_through_another_which_forwards_to_the_owner()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var writer = cluster.Client(1);
        var reader = cluster.Client(2);
        var readerAddress = cluster.AddressOf(2);
        var keys = Enumerable.Range(0, 30).Select(i => $"forward-{Guid.NewGuid():N}-{i}").ToList();

        foreach (var key in keys)
        {
            var put = await writer.PutKeyAsync(key, $"value of {key}", ct);
            Assert.True(put.Status == HttpStatusCode.Created, $"PUT {key} through node-1: {put}");
        }

        var forwarded = 0;
        foreach (var key in keys)
        {
            var get = await reader.GetKeyAsync(key, ct);
            Assert.True(get.Status == HttpStatusCode.OK, $"GET {key} through node-2: {get}");
            Assert.Equal($"value of {key}", get.String("value"));

            if (get.String("address") is { } owner)
            {
                // node-2 forwarded: the owner is another node of the view, and it answers for itself.
                forwarded++;
                Assert.NotEqual(readerAddress, owner);
                var ownerNode = Enumerable.Range(1, KvsClusterFixture.ViewSize).Single(n => cluster.AddressOf(n) == owner);
                var direct = await cluster.Client(ownerNode).GetKeyAsync(key, ct);
                Assert.True(direct.Status == HttpStatusCode.OK, $"GET {key} on its owner {owner}: {direct}");
                Assert.Null(direct.String("address"));
            }
        }

        Assert.True(forwarded > 0, "node-2 owned all 30 keys; with three nodes that should not happen");
    }
}
