using System.Diagnostics;
using System.Net;
using OpenTelemetry;
using OpenTelemetry.Trace;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Telemetry;

/// <summary>
/// What a user sees in the dashboard, checked with OpenTelemetry's in-memory exporter: every node of
/// the in-process cluster reports to the same exporter, as they all report to one dashboard.
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class TracingTests
{
    [Fact]
    public async Task A_forwarded_get_is_one_trace_from_the_forwarding_node_to_the_owner()
    {
        var spans = new List<Activity>();
        using TracerProvider tracing = StartTracing(spans);
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 2);
        string key = KeyOwnedBy(cluster, owner: 1);
        await cluster[1].Client.PutAsync(key, "v");
        spans.Clear();

        KvsResponse read = await cluster[0].Client.GetKeyAsync(key);
        tracing.ForceFlush();

        Assert.Equal(HttpStatusCode.OK, read.Status);
        Activity forward = Assert.Single(spans, s => s.OperationName == "kvs.forward");
        Assert.Equal(ActivityKind.Client, forward.Kind);
        Assert.Equal("get", forward.GetTagItem("kvs.operation"));
        Assert.Equal(cluster[1].Address, forward.GetTagItem("kvs.owner"));
        Assert.Equal(1L, forward.GetTagItem("kvs.epoch"));

        Activity ownerServer = Assert.Single(spans, s => s.OperationName == "kvs.forwarded");
        Assert.Equal(ActivityKind.Server, ownerServer.Kind);
        Assert.Equal(forward.SpanId, ownerServer.ParentSpanId);
        Assert.Equal(cluster[0].Address, ownerServer.GetTagItem("kvs.sender"));
        Assert.Equal("get", ownerServer.GetTagItem("kvs.operation"));
        Assert.Contains(spans, s => s.Kind == ActivityKind.Server && s.TraceId == forward.TraceId && Path(s) == $"/kvs/keys/{key}");
    }

    [Fact]
    public async Task A_view_change_is_one_trace_with_prepare_every_batch_and_commit()
    {
        var spans = new List<Activity>();
        using TracerProvider tracing = StartTracing(spans);
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 3, initialViewSize: 2, settings: RoundOne.Settings(new Dictionary<string, string?> { ["Kvs:MigrationBatchSize"] = "10" }));
        await Parallel.ForAsync(0, 200, async (i, _) => await cluster[i % 2].Client.PutAsync($"key{i}", $"value{i}"));
        spans.Clear();

        KvsResponse change = await cluster[0].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2));
        tracing.ForceFlush();

        Assert.Equal(HttpStatusCode.OK, change.Status);
        Activity root = Assert.Single(spans, s => s.OperationName == "kvs.view_change");
        Activity request = Assert.Single(spans, s => s.Kind == ActivityKind.Server && Path(s) == "/kvs/view-change");
        Assert.Equal(request.SpanId, root.ParentSpanId);
        Activity[] trace = spans.Where(s => s.TraceId == root.TraceId).ToArray();
        Assert.Single(trace, s => s.OperationName == "kvs.view_change.prepare");
        Assert.Single(trace, s => s.OperationName == "kvs.view_change.commit");

        Activity[] batches = trace.Where(s => s.OperationName == "kvs.migration.batch").ToArray();
        int movedToNewNode = cluster[2].Store.Count;
        Assert.True(batches.Length >= movedToNewNode / 10, $"expected batches of at most 10 keys, got {batches.Length} for {movedToNewNode} keys");
        Assert.Equal(movedToNewNode, batches.Sum(b => (int)b.GetTagItem("kvs.keys_moved")!));
        Assert.All(batches, b => Assert.Equal(cluster[2].Address, b.GetTagItem("kvs.target")));
        Assert.All(batches, b => Assert.True(IsDescendant(b, root, spans), "every batch span sits under the view change"));

        // Each node that took part shows a server span in the same trace.
        foreach (TestNode node in cluster.Nodes)
        {
            Assert.Contains(trace, s => s.Kind == ActivityKind.Server && Host(s) == node.Address);
        }
    }

    private static TracerProvider StartTracing(List<Activity> spans) =>
        Sdk.CreateTracerProviderBuilder()
            .AddSource(NodeTelemetry.Name)
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddInMemoryExporter(spans)
            .Build();

    private static bool IsDescendant(Activity span, Activity ancestor, List<Activity> spans)
    {
        var byId = spans.GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());
        for (Activity? current = span; current is not null; current = byId.GetValueOrDefault(current.ParentSpanId))
        {
            if (current.SpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }

    private static string? Path(Activity span) => span.GetTagItem("url.path") as string;

    private static string? Host(Activity span) =>
        $"{span.GetTagItem("server.address")}:{span.GetTagItem("server.port")}";

    private static string KeyOwnedBy(TestCluster cluster, int owner)
    {
        for (int i = 0; ; i++)
        {
            if (cluster[0].Snapshot.Current.Ring.OwnerOf($"traced-{i}") == cluster[owner].Address)
            {
                return $"traced-{i}";
            }
        }
    }
}

/// <summary>Tracing tests listen to process-wide activity sources, so they do not run beside each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "Tracing";
}
