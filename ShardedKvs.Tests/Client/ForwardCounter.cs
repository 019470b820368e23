using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Client;

/// <summary>
/// Counts the forwards of the given nodes from their "kvs.forwards" counters (meter "ShardedKvs.Node").
/// Each node's meter comes from its own IMeterFactory, so forwards of other tests' nodes in this
/// process are not counted.
/// </summary>
internal sealed class ForwardCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _forwards;

    public ForwardCounter(IEnumerable<TestNode> nodes)
    {
        var counters = nodes.Select(n => (Instrument)n.Services.GetRequiredService<NodeTelemetry>().Forwards).ToHashSet();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (counters.Contains(instrument))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _forwards, value));
        _listener.Start();
    }

    public long Forwards => Interlocked.Read(ref _forwards);

    public void Dispose() => _listener.Dispose();
}
