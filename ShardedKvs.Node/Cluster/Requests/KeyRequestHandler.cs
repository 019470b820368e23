using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.Requests;

/// <summary>
/// Serves one key request wherever it belongs: from the local store, through a hand-off while the
/// key's range moves, or by forwarding to its owner. Reads take no lock and retry if the snapshot
/// changed under them; writes take the key's stripe lock for their in-memory part only.
/// </summary>
public sealed class KeyRequestHandler(
    ClusterState state,
    KeyValueStore store,
    KeysInFlight inFlight,
    TracedForwards forwards,
    ReplicatedKeyHandler replicated,
    NodeTelemetry telemetry,
    TimeProvider time,
    IOptions<NodeOptions> options)
{
    // A request re-routes each time the snapshot changes under it; view changes are rare, so a
    // handful of attempts only runs out when something is badly wrong.
    private const int MaxAttempts = 16;

    private readonly NodeOptions _options = options.Value;

    public ValueTask<KeyOutcome> ExecuteAsync(KeyOperation operation, string key, byte[]? value, long? senderEpoch, CancellationToken cancellationToken) =>
        _options.IsReplicated
            ? replicated.ExecuteAsync(operation, key, value, senderEpoch, cancellationToken)
            : ExecuteOneCopyAsync(operation, key, value, senderEpoch, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<KeyOutcome> ExecuteOneCopyAsync(KeyOperation operation, string key, byte[]? value, long? senderEpoch, CancellationToken cancellationToken)
    {
        ulong hash = StableHash.Of(key);
        long deadline = Deadlines.From(time, _options.HandoffWait);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            ClusterSnapshot snapshot = state.Snapshot;
            RouteDecision route = KeyRouter.Route(snapshot, hash, senderEpoch);
            switch (route.Kind)
            {
                case RouteKind.Local:
                    if (TryServeLocally(operation, key, hash, value, snapshot, out KeyOutcome local))
                    {
                        telemetry.CountRequest(operation, local.Kind);
                        return local;
                    }

                    break;

                case RouteKind.Handoff:
                    HandoffStep step = TryServeDuringHandoff(operation, key, hash, value, snapshot, out KeyOutcome served, out Task handedOver);
                    if (step == HandoffStep.Served)
                    {
                        telemetry.CountRequest(operation, served.Kind);
                        return served;
                    }

                    if (step == HandoffStep.Forward)
                    {
                        return await forwards.ForwardAsync(route.Target!, route.Epoch, operation, key, value);
                    }

                    if (step == HandoffStep.Wait && !await Deadlines.WaitAsync(handedOver, deadline, time, cancellationToken))
                    {
                        return new KeyOutcome(OutcomeKind.KeyBusy);
                    }

                    attempt--; // waiting for a batch is not a failed attempt
                    break;

                case RouteKind.Forward:
                    return await forwards.ForwardAsync(route.Target!, route.Epoch, operation, key, value);

                default:
                    return route.Target is { } unavailableOwner
                        ? new KeyOutcome(OutcomeKind.OwnerUnavailable, Owner: unavailableOwner, Error: $"Keys of {unavailableOwner} are unavailable: it went down during a view change; change the view without it")
                        : NotServing(snapshot);
            }
        }

        return new KeyOutcome(OutcomeKind.KeyBusy, Error: "The view kept changing while serving the request; try again");
    }

    private bool TryServeLocally(KeyOperation operation, string key, ulong hash, byte[]? value, ClusterSnapshot snapshot, out KeyOutcome outcome)
    {
        if (operation == KeyOperation.Get)
        {
            outcome = store.TryGet(key, out ReadOnlyMemory<byte> found) ? KeyOutcome.Found(found) : KeyOutcome.NotFound;

            // A read that raced a view change may have looked after its key left: route it again.
            return state.Version == snapshot.Version;
        }

        lock (inFlight.StripeFor(hash))
        {
            if (state.Version != snapshot.Version)
            {
                outcome = default;
                return false;
            }

            outcome = ApplyWrite(operation, key, value);
            return true;
        }
    }

    private HandoffStep TryServeDuringHandoff(KeyOperation operation, string key, ulong hash, byte[]? value, ClusterSnapshot snapshot, out KeyOutcome outcome, out Task handedOver)
    {
        outcome = default;
        lock (inFlight.StripeFor(hash))
        {
            if (state.Version != snapshot.Version)
            {
                handedOver = Task.CompletedTask;
                return HandoffStep.Retry;
            }

            if (inFlight.IsHandingOff(key, out handedOver))
            {
                return HandoffStep.Wait;
            }

            // While the key is here, this node still orders its requests. Once it has left (or if it
            // never existed), its next owner does, and this node never takes it back during the change.
            if (!store.TryGet(key, out ReadOnlyMemory<byte> current))
            {
                return HandoffStep.Forward;
            }

            outcome = operation == KeyOperation.Get ? KeyOutcome.Found(current) : ApplyWrite(operation, key, value);
            return HandoffStep.Served;
        }
    }

    private KeyOutcome ApplyWrite(KeyOperation operation, string key, byte[]? value) =>
        operation == KeyOperation.Put
            ? store.Put(key, value!) ? KeyOutcome.Replaced : KeyOutcome.Created
            : store.Remove(key) ? KeyOutcome.Deleted : KeyOutcome.NotFound;

    private static KeyOutcome NotServing(ClusterSnapshot snapshot) => new(
        OutcomeKind.NotServing,
        Error: snapshot.Status switch
        {
            NodeStatus.Forming => "Cluster is forming: not every node of the view has joined yet",
            NodeStatus.Idle => "Node is not in the view",
            _ => "Node does not own the key in any view it knows",
        });

    private enum HandoffStep
    {
        Served,
        Wait,
        Forward,
        Retry,
    }
}
