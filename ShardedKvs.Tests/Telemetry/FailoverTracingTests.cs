using System.Collections;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Telemetry;

/// <summary>
/// Issue 11's telemetry, seen as a user of the dashboard sees it: a failover is one trace across the
/// surviving nodes (the detection and the decision on the node that proposed the exclusion, the
/// promotions on the new primaries, every source's fill with its copy batches and the learners' applies),
/// and the replication gauges show the dead node's ranges under-replicated until the fill is done.
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class FailoverTracingTests(ITestOutputHelper output)
{
    private const int Keys = 300;

    [Fact]
    public async Task A_failover_and_the_fill_after_it_are_one_trace_and_the_gauges_follow_the_missing_copies()
    {
        var spans = new LockedSpans();
        using TracerProvider tracing = TraceInto(spans);
        using var gauges = new ReplicationGauges();

        // Throttled, in small batches, so the fill lasts long enough to be seen and copies in several batches.
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 4, settings: new Dictionary<string, string?>
        {
            ["Kvs:ReplicationFactor"] = "3",
            ["Kvs:FillKeysPerSecond"] = "40",
            ["Kvs:FillBatchKeys"] = "16",
        });
        await Parallel.ForAsync(0, Keys, async (i, _) => await cluster[i % 4].Client.PutAsync($"key-{i}", $"value-{i}"));
        TestNode[] survivors = [cluster[0], cluster[1], cluster[2]];
        Assert.All(cluster.Nodes, n => Assert.Equal(0, gauges.Read(n).UnderReplicated));
        Assert.All(cluster.Nodes, n => Assert.Equal(3, gauges.Read(n).InSync));
        PlacedMember dead = cluster[3].Snapshot.Replica!.Self;
        spans.Clear();

        await cluster[3].StopAsync();

        // While the dead node's ranges have two copies, every survivor's gauge says so; the reading is
        // taken between two looks at the same filling configuration, so it is the gauge of that state.
        (int underReplicated, _) = await Eventually.Until(
            "a survivor to run the configuration that excluded the dead node, before the fill switched",
            TimeSpan.FromSeconds(30),
            _ =>
            {
                ReplicaState? before = cluster[0].Snapshot.Replica;
                (int UnderReplicated, int InSync) reading = gauges.Read(cluster[0]);
                bool filling = before is { Config.IsFilling: true } && !before.Config.IsLive(dead) && ReferenceEquals(before, cluster[0].Snapshot.Replica);
                return Task.FromResult((reading.UnderReplicated, filling));
            },
            r => r.filling);
        output.WriteLine($"under-replicated ranges while filling: {underReplicated}");
        Assert.True(underReplicated > 0, "the dead node's ranges count as under-replicated while they have two copies");

        await Eventually.WaitUntilAsync(
            () => Task.FromResult(survivors.All(n => n.Snapshot.Replica is { Config.IsFilling: false } r && !r.Config.Placement.Contains(dead) && gauges.Read(n).UnderReplicated == 0)),
            TimeSpan.FromSeconds(60),
            "the fill to switch the dead node out and the gauge to go back to 0");
        Assert.All(survivors, n => Assert.Equal(3, gauges.Read(n).InSync));
        tracing.ForceFlush();

        // The switch was proposed from a source's fill span, so the configuration now carries the failover's trace.
        ActivityTraceId traceId = ActivityContext.Parse(cluster[0].Snapshot.Replica!.Config.TraceParent!, null).TraceId;
        Activity[] trace = spans.Where(s => s.TraceId == traceId).ToArray();
        foreach (IGrouping<string, Activity> kind in trace.GroupBy(s => s.OperationName).OrderBy(g => g.Key))
        {
            output.WriteLine($"{kind.Key}: {kind.Count()}");
        }

        Activity root = Assert.Single(trace, s => s.OperationName == "kvs.failover");
        Assert.Equal(default, root.ParentSpanId);
        Assert.Equal(dead.ToString(), root.GetTagItem("kvs.suspect"));
        Assert.Equal("excluded", root.GetTagItem("kvs.outcome"));
        Assert.Contains(trace, s => s.OperationName == "kvs.failover.majority_check");
        Assert.Contains(trace, s => s.OperationName == "kvs.config.propose" && (string?)s.GetTagItem("kvs.change") == nameof(ConfigChange.Exclude));

        Activity[] promotions = [.. trace.Where(s => s.OperationName == "kvs.promotion" && (string?)s.GetTagItem("kvs.previous_primary") == dead.ToString())];
        Assert.NotEmpty(promotions);
        Assert.Contains(trace, s => s.OperationName == "kvs.promotion.lease_wait");

        // Every survivor is a source of the fill and shows its part in the trace, then reports it.
        Activity[] sources = [.. trace.Where(s => s.OperationName == "kvs.fill.source")];
        Assert.Equal(
            survivors.Select(n => n.Snapshot.Replica!.Self.ToString()).Order(),
            sources.Select(s => (string)s.GetTagItem("kvs.source")!).Distinct().Order());
        Assert.Contains(trace, s => s.OperationName == "kvs.config.propose" && (string?)s.GetTagItem("kvs.change") == nameof(ConfigChange.ReportFilled));
        Activity[] batches = [.. trace.Where(s => s.OperationName == "kvs.fill.batch")];
        Activity[] applies = [.. trace.Where(s => s.OperationName == "kvs.fill.apply")];
        Assert.NotEmpty(batches);
        Assert.All(batches, b => Assert.Contains(applies, a => IsDescendant(a, b, trace)));
    }

    [Fact]
    public async Task A_view_change_and_its_fill_are_one_trace_from_the_request_to_the_learners_applies()
    {
        var spans = new LockedSpans();
        using TracerProvider tracing = TraceInto(spans);
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 4, initialViewSize: 3, settings: new Dictionary<string, string?>
        {
            ["Kvs:ReplicationFactor"] = "3",
            ["Kvs:FillBatchKeys"] = "16",
        });
        await Parallel.ForAsync(0, Keys, async (i, _) => await cluster[i % 3].Client.PutAsync($"key-{i}", $"value-{i}"));
        spans.Clear();

        KvsResponse change = await cluster[0].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3));
        tracing.ForceFlush();

        Assert.Equal(System.Net.HttpStatusCode.OK, change.Status);
        Activity root = Assert.Single(spans, s => s.OperationName == "kvs.view_change");
        Activity[] trace = [.. spans.Where(s => s.TraceId == root.TraceId)];
        Assert.Contains(trace, s => s.OperationName == "kvs.config.propose" && (string?)s.GetTagItem("kvs.change") == nameof(ConfigChange.ChangeView));
        Assert.Equal(
            cluster.Nodes.Take(3).Select(n => n.Snapshot.Replica!.Self.ToString()).Order(),
            trace.Where(s => s.OperationName == "kvs.fill.source").Select(s => (string)s.GetTagItem("kvs.source")!).Distinct().Order());
        Activity[] batches = [.. trace.Where(s => s.OperationName == "kvs.fill.batch")];
        Activity[] applies = [.. trace.Where(s => s.OperationName == "kvs.fill.apply")];
        Assert.NotEmpty(batches);
        Assert.All(batches, b => Assert.Equal(cluster[3].Snapshot.Replica!.Self.ToString(), b.GetTagItem("kvs.learner")));
        Assert.All(batches, b => Assert.Contains(applies, a => IsDescendant(a, b, trace)));
        Assert.Equal(cluster[3].Store.Count, applies.Sum(a => (int)a.GetTagItem("kvs.keys_applied")!));
    }

    /// <summary>
    /// A view change that removes a live primary leaves it in no configuration, yet it may still finish
    /// writes it began before it heard of the change. Its successors must ask it whether it has finished
    /// them (a drain check) before they serve its keys: waiting out its leases is not enough, since a
    /// successor that never granted it one waits for nothing. The removed node is no member of any view
    /// its successors know after the change, and their peer client once refused to call it, so every
    /// takeover ended on expired leases instead ("confirmed": false).
    /// </summary>
    [Fact]
    public async Task The_successors_of_a_primary_a_view_change_removes_take_its_keys_over_once_it_says_it_has_drained()
    {
        var spans = new LockedSpans();
        using TracerProvider tracing = TraceInto(spans);
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 4, settings: new Dictionary<string, string?>
        {
            ["Kvs:ReplicationFactor"] = "3",
        });
        await Parallel.ForAsync(0, Keys, async (i, _) => await cluster[i % 4].Client.PutAsync($"key-{i}", $"value-{i}"));
        string removed = cluster[3].Snapshot.Replica!.Self.ToString();
        spans.Clear();

        KvsResponse change = await cluster[0].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2));
        Assert.Equal(System.Net.HttpStatusCode.OK, change.Status);

        Activity[] takeovers = await Eventually.Until(
            $"the takeovers of the keys of {removed}",
            TimeSpan.FromSeconds(30),
            _ =>
            {
                tracing.ForceFlush();
                return Task.FromResult<Activity[]>([.. spans.Where(s => s.OperationName == "kvs.promotion" && (string?)s.GetTagItem("kvs.previous_primary") == removed)]);
            },
            found => found.Length > 0);
        foreach (Activity takeover in takeovers)
        {
            output.WriteLine($"{takeover.GetTagItem("kvs.node")} took over from {removed}: confirmed {takeover.GetTagItem("kvs.confirmed")}, {takeover.Duration.TotalMilliseconds:F0} ms");
        }

        Assert.All(takeovers, t => Assert.Equal(true, t.GetTagItem("kvs.confirmed")));
    }

    private static bool IsDescendant(Activity span, Activity ancestor, Activity[] spans)
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

    /// <summary>Reads the replication gauges of one in-process node: each node's instruments come from
    /// its own <see cref="NodeTelemetry"/>.</summary>
    private sealed class ReplicationGauges : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Lock _gate = new();
        private readonly Dictionary<Instrument, int> _last = [];

        public ReplicationGauges()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == NodeTelemetry.Name && instrument.Name.StartsWith("kvs.replication.", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
            {
                lock (_gate)
                {
                    _last[instrument] = value;
                }
            });
            _listener.Start();
        }

        public (int UnderReplicated, int InSync) Read(TestNode node)
        {
            NodeTelemetry telemetry = node.Services.GetRequiredService<NodeTelemetry>();
            lock (_gate)
            {
                _last.Clear();
                _listener.RecordObservableInstruments();
                return (_last.GetValueOrDefault(telemetry.UnderReplicatedRanges!, -1), _last.GetValueOrDefault(telemetry.InSyncReplicas!, -1));
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>The exporter adds spans from whichever thread ends them.</summary>
    private sealed class LockedSpans : ICollection<Activity>
    {
        private readonly List<Activity> _spans = [];

        public int Count
        {
            get
            {
                lock (_spans)
                {
                    return _spans.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public void Add(Activity item)
        {
            lock (_spans)
            {
                _spans.Add(item);
            }
        }

        public void Clear()
        {
            lock (_spans)
            {
                _spans.Clear();
            }
        }

        public bool Contains(Activity item)
        {
            lock (_spans)
            {
                return _spans.Contains(item);
            }
        }

        public void CopyTo(Activity[] array, int arrayIndex)
        {
            lock (_spans)
            {
                _spans.CopyTo(array, arrayIndex);
            }
        }

        public bool Remove(Activity item)
        {
            lock (_spans)
            {
                return _spans.Remove(item);
            }
        }

        public IEnumerator<Activity> GetEnumerator()
        {
            lock (_spans)
            {
                return _spans.ToList().GetEnumerator();
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>The node's spans and the HTTP spans around them, into <paramref name="spans"/>.</summary>
    private static TracerProvider TraceInto(LockedSpans spans) => Sdk.CreateTracerProviderBuilder()
        .AddSource(NodeTelemetry.Name)
        .AddAspNetCoreInstrumentation()
        .AddHttpClientInstrumentation()
        .AddInMemoryExporter(spans)
        .Build();
}
