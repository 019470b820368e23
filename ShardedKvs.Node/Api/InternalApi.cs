using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http.Features;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Formation;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Replication.Fill;
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
        endpoints.MapGet(PeerRoutes.View.Path, (ViewChangeParticipant participant, NodeIdentity identity) =>
            TypedResults.Json(participant.DescribeView() with { Incarnation = identity.Incarnation }, PeerJsonContext.Default.ViewState)).WithMetadata(new OpenToAnyClusterMember());
        endpoints.MapPost(PeerRoutes.Join.Path, (JoinRequest request, FormationRegistry registry, ViewChangeParticipant participant) =>
        {
            registry.Join(request.Address, request.Incarnation);
            return TypedResults.Json(participant.DescribeView(), PeerJsonContext.Default.ViewState);
        });
        endpoints.MapGet(PeerRoutes.KeyCount.Path, async (KeyValueStore store, ClusterState state, Promotions promotions) =>
        {
            ClusterSnapshot snapshot = state.Snapshot;
            (int primary, _) = await ReplicaKeyCounts.CountAsync(snapshot, store);
            return TypedResults.Json(
                new KeyCount(snapshot.Self, primary, snapshot.Current.Epoch, promotions.IsTakingOver),
                PeerJsonContext.Default.KeyCount);
        });
        endpoints.MapGet(PeerRoutes.Copies.Path, async (KeyValueStore store, ClusterState state) =>
        {
            ClusterSnapshot snapshot = state.Snapshot;
            HeldCopy[] copies = await StoreWalk.RunAsync(() => store.Entries.Select(e => new HeldCopy(e.Key, e.Version)).ToArray());
            return TypedResults.Json(new HeldCopies(snapshot.Self, snapshot.Replica?.Epoch ?? snapshot.Current.Epoch, copies), PeerJsonContext.Default.HeldCopies);
        });

        endpoints.MapPost(PeerRoutes.Prepare.Path, (PrepareRequest request, ViewChangeParticipant participant) => PeerAnswers.From(participant.Prepare(request)))
            .WithMetadata(new OpenToAnyClusterMember());
        endpoints.MapPost(PeerRoutes.Migrate.Path, async (ChangeRef change, ViewChangeParticipant participant, CancellationToken cancellationToken) =>
            PeerAnswers.From(await participant.MigrateAsync(change, cancellationToken)));
        endpoints.MapPost(PeerRoutes.Commit.Path, (ChangeRef change, ViewChangeParticipant participant) => PeerAnswers.From(participant.Commit(change)))
            .WithMetadata(new OpenToAnyClusterMember());
        endpoints.MapGet(PeerRoutes.Running.Path, (ViewChangeCoordinator coordinator) =>
            TypedResults.Json(new CoordinatorStatus(coordinator.RunningEpoch), PeerJsonContext.Default.CoordinatorStatus));
        endpoints.MapPost(PeerRoutes.Abort.Path, (ChangeRef change, ViewChangeParticipant participant) => PeerAnswers.From(participant.Abort(change)));

        endpoints.MapPost(PeerRoutes.MigrationBatch.Path, (MigrationBatch batch, KeyTarget target) =>
            target.Accept(batch) is { } refusal ? PeerAnswers.Error(StatusCodes.Status409Conflict, refusal) : Results.Ok());
        endpoints.MapPost(PeerRoutes.MigrationDiscard.Path, (MigrationBatch batch, KeyTarget target) =>
        {
            target.Discard(batch);
            return Results.Ok();
        });

        endpoints.MapPost(PeerRoutes.Drained.Path, (DrainQuery query, ClusterState state, PrimaryVersions versions, NewerEpochSignal newerEpoch) =>
        {
            long adopted = state.Snapshot.Replica?.Epoch ?? 0;
            if (adopted < query.Epoch)
            {
                newerEpoch.Saw(query.Epoch);
            }

            return TypedResults.Json(new DrainAnswer(versions.HasDrained(query.Epoch)), PeerJsonContext.Default.DrainAnswer);
        });
        endpoints.MapPost(PeerRoutes.Uncertain.Path, (UncertainQuery query, ClusterState state, UncertainWrites uncertain, KeyValueStore store, NewerEpochSignal newerEpoch) =>
        {
            if (state.Snapshot.Replica is not { } replica || replica.Epoch < query.Epoch)
            {
                newerEpoch.Saw(query.Epoch);
                return TypedResults.Json(new UncertainAnswer(CaughtUp: false, []), PeerJsonContext.Default.UncertainAnswer);
            }

            IReadOnlyList<HeldWrite> held = uncertain.AsHeld(store, hash => replica.Map.IsInSyncReplica(replica.Self, hash));
            return TypedResults.Json(new UncertainAnswer(CaughtUp: true, held), PeerJsonContext.Default.UncertainAnswer);
        });
        endpoints.MapPost(PeerRoutes.Suspects.Path, (SuspicionQuery query, FailureDetector detector) =>
            TypedResults.Json(new SuspicionAnswer(detector.Suspects(query.Peer)), PeerJsonContext.Default.SuspicionAnswer));

        endpoints.MapGet(PeerRoutes.Lane.Path, OpenLaneAsync);
        MapConfigLog(endpoints);
        return endpoints;
    }

    /// <summary>
    /// The configuration log's voter and learner. Open to any signed sender: a node in no configuration
    /// yet must vote when a configuration names its incarnation, and the configuration (not the round-one
    /// view) decides whose vote counts. Every vote says which incarnation cast it.
    /// </summary>
    private static void MapConfigLog(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(PeerRoutes.ConfigPrepare.Path, (ConfigPrepareMessage message, ConfigLog log, NodeIdentity identity) =>
            message.TryToPrepare(out PrepareBallot? prepare, out string? error)
                ? Results.Json(ConfigVoteMessage.From(identity.Self, log.OnPrepare(prepare)), PeerJsonContext.Default.ConfigVoteMessage)
                : PeerAnswers.Error(StatusCodes.Status400BadRequest, error))
            .WithMetadata(new OpenToAnyClusterMember());
        endpoints.MapPost(PeerRoutes.ConfigAccept.Path, (ConfigAcceptMessage message, ConfigLog log, NodeIdentity identity) =>
            message.TryToAccept(out AcceptProposal? accept, out string? error)
                ? Results.Json(ConfigVoteMessage.From(identity.Self, log.OnAccept(accept)), PeerJsonContext.Default.ConfigVoteMessage)
                : PeerAnswers.Error(StatusCodes.Status400BadRequest, error))
            .WithMetadata(new OpenToAnyClusterMember());
        endpoints.MapPost(PeerRoutes.ConfigDecided.Path, (ConfigMessage message, ConfigLog log) =>
        {
            if (!message.TryToConfig(out ClusterConfig? decided, out string? error))
            {
                return PeerAnswers.Error(StatusCodes.Status400BadRequest, error);
            }

            log.Learn(decided);
            return Results.Ok();
        }).WithMetadata(new OpenToAnyClusterMember());
        endpoints.MapGet(PeerRoutes.ConfigLatest.Path, (ConfigLog log, NodeIdentity identity) =>
            TypedResults.Json(
                new ConfigLatestMessage(PlacedMemberMessage.From(identity.Self), log.Latest is { } latest ? ConfigMessage.From(latest) : null),
                PeerJsonContext.Default.ConfigLatestMessage))
            .WithMetadata(new OpenToAnyClusterMember());
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
            await PeerAnswers.Error(StatusCodes.Status400BadRequest, $"A lane opens with an upgrade to {LaneHandshake.Protocol} and a nonce of 32 hex digits").ExecuteAsync(context);
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
