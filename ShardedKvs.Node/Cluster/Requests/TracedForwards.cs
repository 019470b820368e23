using System.Diagnostics;
using System.Runtime.CompilerServices;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Requests;

/// <summary>A key request forwarded to the node that serves it, counted and traced the same way by
/// either protocol: a <c>kvs.forward</c> client span that the serving node's span joins.</summary>
public sealed class TracedForwards(PeerClient peers, NodeTelemetry telemetry)
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<KeyOutcome> ForwardAsync(string target, long epoch, KeyOperation operation, string key, byte[]? value)
    {
        telemetry.Forwards.Add(1);
        using Activity? activity = NodeTelemetry.StartForward(operation, target, epoch);
        KeyOutcome outcome = await peers.ForwardAsync(target, epoch, operation, key, value);
        if (activity is not null && !outcome.IsSuccess)
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome.Error);
        }

        return outcome;
    }
}
