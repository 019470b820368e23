using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ShardedKvs.Node.Telemetry;

/// <summary>The node's one ActivitySource and one Meter, both named "ShardedKvs.Node".</summary>
public sealed class NodeTelemetry : IDisposable
{
    public const string Name = "ShardedKvs.Node";

    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;

    public NodeTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        Requests = _meter.CreateCounter<long>("kvs.requests", "{request}", "Key requests by operation and outcome.");
        Forwards = _meter.CreateCounter<long>("kvs.forwards", "{request}", "Key requests forwarded to another node.");
        KeysMoved = _meter.CreateCounter<long>("kvs.keys.moved", "{key}", "Keys handed to another node by view changes.");
        ViewChangeDuration = _meter.CreateHistogram<double>("kvs.view_change.duration", "s", "Duration of view changes coordinated by this node.");
    }

    public Counter<long> Requests { get; }

    public Counter<long> Forwards { get; }

    public Counter<long> KeysMoved { get; }

    public Histogram<double> ViewChangeDuration { get; }

    /// <summary>Observable gauges read live state; registered once the state exists.</summary>
    public void ObserveState(Func<int> keysHeld, Func<long> epoch)
    {
        _meter.CreateObservableGauge("kvs.keys.held", keysHeld, "{key}", "Keys held by this node.");
        _meter.CreateObservableGauge("kvs.view.epoch", epoch, "{epoch}", "Epoch of the committed view.");
    }

    public void Dispose() => _meter.Dispose();
}
