using System.Diagnostics;
using System.Diagnostics.Metrics;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Telemetry;

/// <summary>The node's one ActivitySource and one Meter, both named "ShardedKvs.Node".</summary>
public sealed class NodeTelemetry : IDisposable
{
    public const string Name = ShardedKvs.ServiceDefaults.ShardedKvsTelemetry.Name;

    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;

    public NodeTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        Requests = _meter.CreateCounter<long>("kvs.requests", "{request}", "Key requests by operation and outcome.");
        Forwards = _meter.CreateCounter<long>("kvs.forwards", "{request}", "Key requests forwarded to another node.");
        KeysMoved = _meter.CreateCounter<long>("kvs.keys.moved", "{key}", "Keys handed to another node by view changes.");
        ViewChangeDuration = _meter.CreateHistogram<double>("kvs.view_change.duration", "s", "Duration of view changes coordinated by this node.");
        FillKeysCopied = _meter.CreateCounter<long>("kvs.fill.keys_copied", "{key}", "Keys copied to learners by fills this node is a source of (once per learner).");
        FillKeysRemaining = _meter.CreateUpDownCounter<long>("kvs.fill.keys_remaining", "{key}", "Keys the running fill still has to copy to learners (once per learner).");
        FillBatchDuration = _meter.CreateHistogram<double>("kvs.fill.batch.duration", "s", "Time from sending a fill batch to its learner's acknowledgement, retries included.");
    }

    public Counter<long> Requests { get; }

    public Counter<long> Forwards { get; }

    public Counter<long> KeysMoved { get; }

    public Histogram<double> ViewChangeDuration { get; }

    public Counter<long> FillKeysCopied { get; }

    public UpDownCounter<long> FillKeysRemaining { get; }

    public Histogram<double> FillBatchDuration { get; }

    /// <summary>Registered by <see cref="ObserveReplication"/>.</summary>
    public ObservableGauge<int>? InSyncReplicas { get; private set; }

    /// <summary>Registered by <see cref="ObserveReplication"/>.</summary>
    public ObservableGauge<int>? UnderReplicatedRanges { get; private set; }

    /// <summary>The client span of a forwarded key request; the owner's server span joins it
    /// through the W3C traceparent the request carries on the lane.</summary>
    public static Activity? StartForward(KeyOperation operation, string owner, long epoch)
    {
        Activity? activity = Source.StartActivity("kvs.forward", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("kvs.operation", OperationName(operation));
            activity.SetTag("kvs.owner", owner);
            activity.SetTag("kvs.epoch", epoch);
        }

        return activity;
    }

    /// <summary>The owner's server span of a request another node forwarded over a lane.</summary>
    public static Activity? StartServingForward(KeyOperation operation, string sender, long epoch, ActivityContext parent)
    {
        Activity? activity = Source.StartActivity("kvs.forwarded", ActivityKind.Server, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("kvs.operation", OperationName(operation));
            activity.SetTag("kvs.sender", sender);
            activity.SetTag("kvs.epoch", epoch);
        }

        return activity;
    }

    /// <summary>The primary's client span of one write replicated to one replica; the replica's server
    /// span joins it through the W3C traceparent the replicate frame carries.</summary>
    public static Activity? StartReplicate(KeyOperation operation, string replica, long epoch, long version)
    {
        Activity? activity = Source.StartActivity("kvs.replicate", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("kvs.operation", OperationName(operation));
            activity.SetTag("kvs.replica", replica);
            activity.SetTag("kvs.epoch", epoch);
            activity.SetTag("kvs.version", version);
        }

        return activity;
    }

    /// <summary>The replica's server span of a write a primary replicated over a lane.</summary>
    public static Activity? StartServingReplicate(KeyOperation operation, string sender, long epoch, long version, ActivityContext parent)
    {
        Activity? activity = Source.StartActivity("kvs.replicated", ActivityKind.Server, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("kvs.operation", OperationName(operation));
            activity.SetTag("kvs.sender", sender);
            activity.SetTag("kvs.epoch", epoch);
            activity.SetTag("kvs.version", version);
        }

        return activity;
    }

    /// <summary>The W3C traceparent of the current span, to carry where a header cannot (a decided
    /// configuration); null when nothing is traced.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>
    /// Starts a span of work a decided configuration asked of this node (a promotion, its part in a
    /// fill) as a child of the span that proposed the configuration, so that work on every node joins
    /// the decision's trace. The caller's own context (often an unrelated request that happened to
    /// deliver the decision) is not its parent; without a carried context the span starts a trace.
    /// </summary>
    public static Activity? StartFromDecision(string name, ClusterConfig decided)
    {
        ActivityContext parent = decided.TraceParent is { } traceParent
            && ActivityContext.TryParse(traceParent, traceState: null, isRemote: true, out ActivityContext carried)
            ? carried
            : default;
        Activity? caller = Activity.Current;
        Activity.Current = null;
        try
        {
            Activity? activity = Source.StartActivity(name, ActivityKind.Internal, parent);
            activity?.SetTag("kvs.epoch", decided.Epoch);
            return activity;
        }
        finally
        {
            if (Activity.Current is null)
            {
                Activity.Current = caller; // nothing started: leave the caller's context as it was
            }
        }
    }

    /// <summary>Counts a request served by this node, by operation and outcome.</summary>
    public void CountRequest(KeyOperation operation, OutcomeKind outcome)
    {
        if (Requests.Enabled)
        {
            Requests.Add(1, new KeyValuePair<string, object?>("kvs.operation", OperationName(operation)), new KeyValuePair<string, object?>("kvs.outcome", OutcomeName(outcome)));
        }
    }

    private static string OperationName(KeyOperation operation) => operation switch
    {
        KeyOperation.Get => "get",
        KeyOperation.Put => "put",
        _ => "delete",
    };

    private static string OutcomeName(OutcomeKind outcome) => outcome switch
    {
        OutcomeKind.Found => "found",
        OutcomeKind.NotFound => "not_found",
        OutcomeKind.Created => "created",
        OutcomeKind.Replaced => "replaced",
        _ => "unavailable",
    };

    /// <summary>Observable gauges read live state; registered once the state exists.</summary>
    public void ObserveState(Func<int> keysHeld, Func<long> epoch)
    {
        _meter.CreateObservableGauge("kvs.keys.held", keysHeld, "{key}", "Keys held by this node.");
        _meter.CreateObservableGauge("kvs.view.epoch", epoch, "{epoch}", "Epoch of the committed view.");
    }

    /// <summary>The replication gauges, read from the configuration this node runs (null before it
    /// runs one, and always with a replication factor of 1: then they report nothing).</summary>
    public void ObserveReplication(Func<ReplicationHealth?> health)
    {
        InSyncReplicas = _meter.CreateObservableGauge(
            "kvs.replication.in_sync_replicas",
            () => health() is { MinInSyncOfOwnRanges: int min } ? [new Measurement<int>(min)] : Array.Empty<Measurement<int>>(),
            "{replica}",
            "The fewest in-sync replicas of any key range this node is primary for (R when all is well).");
        UnderReplicatedRanges = _meter.CreateObservableGauge(
            "kvs.replication.under_replicated_ranges",
            () => health() is { } known ? [new Measurement<int>(known.UnderReplicatedRanges)] : Array.Empty<Measurement<int>>(),
            "{range}",
            "Key ranges with fewer in-sync replicas than min(R, view size), as this node's configuration says.");
    }

    public void Dispose() => _meter.Dispose();
}
