using Microsoft.AspNetCore.Http.Features;
using ShardedKvs.Node.Cluster.Formation;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.ViewChange;
using ShardedKvs.Node.Cluster.ViewChange.Migration;
using ShardedKvs.Node.Security;
using ShardedKvs.Node.Storage;

namespace ShardedKvs.Node.Api;

/// <summary>Node-to-node endpoints: formation, the view-change steps, migration batches and the
/// lanes that carry forwarded key requests.</summary>
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

        group.MapGet("/lane", OpenLaneAsync);
        return endpoints;
    }

    /// <summary>Opens a forwarding lane (see <see cref="LaneHandshake"/>) and serves it until it closes.</summary>
    private static async Task OpenLaneAsync(HttpContext context, LaneServer server, ClusterKeys keys, IHostApplicationLifetime lifetime)
    {
        IHttpUpgradeFeature? upgrade = context.Features.Get<IHttpUpgradeFeature>();
        string? openerNonce = context.Request.Query[LaneHandshake.NonceParameter];
        if (upgrade is not { IsUpgradableRequest: true }
            || !string.Equals(context.Request.Headers.Upgrade, LaneHandshake.Protocol, StringComparison.OrdinalIgnoreCase)
            || !LaneHandshake.IsNonce(openerNonce))
        {
            await PeerResults.Error(StatusCodes.Status400BadRequest, $"A lane opens with an upgrade to {LaneHandshake.Protocol} and a nonce of 32 hex digits").ExecuteAsync(context);
            return;
        }

        VerifiedSender sender = context.Features.Get<VerifiedSender>()!;
        string acceptorNonce = LaneHandshake.NewNonce();
        byte[] sessionKey = keys.DeriveLaneKey(sender.KeyIndex, LaneHandshake.SessionContext(sender.Address, openerNonce!, acceptorNonce));
        context.Response.Headers.Upgrade = LaneHandshake.Protocol;
        context.Response.Headers[PeerHeaders.LaneNonce] = acceptorNonce;
        await using Stream stream = await upgrade.UpgradeAsync();
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        await server.ServeAsync(stream, sender.Address, sessionKey, closing.Token);
    }
}
