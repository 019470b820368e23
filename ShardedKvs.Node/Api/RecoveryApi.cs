using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Replication;

namespace ShardedKvs.Node.Api;

/// <summary>
/// What an operator does when a majority of the members died and the cluster can decide nothing:
/// <c>POST /kvs/admin/force-exclusion</c> on a survivor excludes every voter it has not heard from
/// within <see cref="NodeOptions.SuspectAfter"/>, without a majority. Only the operator can know the
/// silent ones are dead rather than cut off: forcing beside a live majority in another partition would
/// split the cluster, which is why it is refused while this node hears a majority.
/// </summary>
public static class RecoveryApi
{
    private const string Message = "Error in POST";

    public static IEndpointRouteBuilder MapRecoveryApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/kvs/admin/force-exclusion", ForceExclusion).AddEndpointFilter<AdminKeyFilter>();
        return endpoints;
    }

    private static IResult ForceExclusion(ClusterState state, ConfigLog log, PeerLiveness liveness, IOptions<NodeOptions> options)
    {
        if (!options.Value.IsReplicated)
        {
            return ApiErrors.Create(StatusCodes.Status409Conflict, "Only a replicated cluster (Kvs__ReplicationFactor 2 or more) decides by a majority; with one copy, change the view", Message);
        }

        if (state.Snapshot.Replica is not { IsLive: true } replica)
        {
            return ApiErrors.Create(StatusCodes.Status503ServiceUnavailable, "This node is not a live member: ask a survivor", Message);
        }

        PlacedMember[] dead = [.. replica.Config.Voters.Where(v => v != replica.Self && liveness.IsSuspected(v))];
        ProposeResult result = log.Force(dead);
        if (!result.Applied)
        {
            return ApiErrors.Create(StatusCodes.Status409Conflict, result.Refusal ?? "Nothing was forced", Message);
        }

        return TypedResults.Json(
            new ForcedExclusionResponse("Forced exclusion successful", result.Decided!.Epoch, [.. dead.Select(d => d.Address)]),
            NodeJson.Context.ForcedExclusionResponse);
    }
}
