using System.Globalization;
using ShardedKvs.Node.Cluster;
using ShardedKvs.Node.Cluster.Migration;
using ShardedKvs.Node.Storage;

namespace ShardedKvs.Node.Api;

/// <summary>Node-to-node endpoints: formation, the view-change steps, migration batches and forwarded key requests.</summary>
public static class InternalApi
{

    public static IEndpointRouteBuilder MapInternalApi(this IEndpointRouteBuilder endpoints)
    {
        // Every call here has passed ClusterAuthMiddleware: signed, fresh, and from a known member.
        RouteGroupBuilder group = endpoints.MapGroup("/internal");

        group.MapGet("/view", (ViewChangeParticipant participant) =>
            TypedResults.Json(participant.DescribeView(), NodeJson.Context.ViewState)).WithMetadata(new OpenToAnyClusterMember());
        group.MapPost("/formation/join", (JoinRequest request, FormationRegistry registry, ViewChangeParticipant participant) =>
        {
            registry.Join(request.Address);
            return TypedResults.Json(participant.DescribeView(), NodeJson.Context.ViewState);
        });
        group.MapGet("/key-count", (KeyValueStore store, ClusterState state) =>
            TypedResults.Json(new KeyCount(state.Snapshot.Self, store.Count), NodeJson.Context.KeyCount));

        group.MapPost("/view-change/prepare", (PrepareRequest request, ViewChangeParticipant participant) => participant.Prepare(request))
            .WithMetadata(new OpenToAnyClusterMember());
        group.MapPost("/view-change/migrate", (ChangeRef change, ViewChangeParticipant participant, CancellationToken cancellationToken) =>
            participant.MigrateAsync(change, cancellationToken));
        group.MapPost("/view-change/commit", (ChangeRef change, ViewChangeParticipant participant) => participant.Commit(change))
            .WithMetadata(new OpenToAnyClusterMember());
        group.MapGet("/view-change/running", (ViewChangeCoordinator coordinator) =>
            TypedResults.Json(new CoordinatorStatus(coordinator.RunningEpoch), NodeJson.Context.CoordinatorStatus));
        group.MapPost("/view-change/abort", (ChangeRef change, ViewChangeParticipant participant) => participant.Abort(change));

        group.MapPost("/migration/batch", (MigrationBatch batch, KeyTarget target) =>
            target.Accept(batch) is { } refusal ? PeerResults.Error(StatusCodes.Status409Conflict, refusal) : Results.Ok());
        group.MapPost("/migration/discard", (MigrationBatch batch, KeyTarget target) =>
        {
            target.Discard(batch);
            return Results.Ok();
        });

        group.MapMethods("/keys", ["GET", "PUT", "DELETE"], ForwardedKeyAsync);
        return endpoints;
    }

    /// <summary>A key request forwarded by another node. The answer is lean: the status says what
    /// happened and a GET's body is the raw value; the forwarding node writes the public JSON.</summary>
    private static async Task ForwardedKeyAsync(HttpContext context, KeyOperations operations)
    {
        HttpRequest request = context.Request;
        if (!KeyPath.TryGetQueryKey(context, out string key)
            || !long.TryParse(request.Headers[PeerHeaders.Epoch], NumberStyles.None, CultureInfo.InvariantCulture, out long senderEpoch))
        {
            await PeerResults.Error(StatusCodes.Status400BadRequest, "Malformed forwarded request").ExecuteAsync(context);
            return;
        }

        KeyOperation operation = request.Method switch
        {
            "GET" => KeyOperation.Get,
            "PUT" => KeyOperation.Put,
            _ => KeyOperation.Delete,
        };
        byte[]? value = operation == KeyOperation.Put ? context.Features.Get<VerifiedBody>()!.Bytes : null;
        KeyOutcome outcome = await operations.ExecuteAsync(operation, key, value, senderEpoch, context.RequestAborted);

        HttpResponse response = context.Response;
        if (outcome.Owner is { } owner)
        {
            response.Headers[PeerHeaders.Owner] = owner;
        }

        switch (outcome.Kind)
        {
            case OutcomeKind.Found when operation == KeyOperation.Get:
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentLength = outcome.Value.Length;
                await response.Body.WriteAsync(outcome.Value, context.RequestAborted);
                break;
            case OutcomeKind.Found or OutcomeKind.Replaced:
                response.StatusCode = StatusCodes.Status200OK;
                break;
            case OutcomeKind.Created:
                response.StatusCode = StatusCodes.Status201Created;
                break;
            case OutcomeKind.NotFound:
                response.StatusCode = StatusCodes.Status404NotFound;
                break;
            default:
                await PeerResults.Error(StatusCodes.Status503ServiceUnavailable, outcome.Error ?? outcome.Kind.ToString()).ExecuteAsync(context);
                break;
        }
    }
}
