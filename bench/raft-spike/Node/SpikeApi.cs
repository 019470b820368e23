using System.Diagnostics;
using System.Text;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Http;
using RaftSpike.Security;

namespace RaftSpike.Node;

/// <summary>What the experiment driver calls: read the state, propose a value, change membership.</summary>
public static class SpikeApi
{
    private static readonly TimeSpan ProposeTimeout = TimeSpan.FromSeconds(3);

    public static void MapSpikeApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/spike/state", State);
        app.MapPost("/spike/propose", ProposeAsync);
        app.MapGet("/spike/read", ReadAsync);
        app.MapPost("/spike/members/add", AddMemberAsync);
        app.MapPost("/spike/members/remove", RemoveMemberAsync);
    }

    private static IResult State(IRaftCluster cluster, ConfigStateMachine machine, SpikeNodeOptions options)
    {
        ConfigValue value = machine.Current;
        return Results.Ok(new
        {
            self = options.PublicEndPoint.ToString(),
            incarnation = options.Incarnation,
            isLeader = !cluster.LeadershipToken.IsCancellationRequested,
            leader = cluster.Leader?.EndPoint.ToString(),
            term = cluster.Term,
            commitIndex = cluster.AuditTrail.LastCommittedEntryIndex,
            lastIndex = cluster.AuditTrail.LastEntryIndex,
            value = value.Value,
            valueIndex = value.Index,
            applied = value.AppliedEntries,
            corruptEntries = value.CorruptEntries,
            members = cluster.Members.Select(m => new { endPoint = m.EndPoint.ToString(), status = m.Status.ToString(), remote = m.IsRemote }),
            signedCalls = RaftSigningHandler.SignedCalls,
            refusedCalls = RaftSignatureMiddleware.Refused,
        });
    }

    private static async Task<IResult> ProposeAsync(HttpRequest request, IRaftCluster cluster, CancellationToken aborted)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        string value = await reader.ReadToEndAsync(aborted);
        if (cluster.LeadershipToken.IsCancellationRequested)
        {
            return Results.Json(new { error = "not-leader", message = "This node is not the leader", leader = cluster.Leader?.EndPoint.ToString() }, statusCode: 421);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted, cluster.LeadershipToken);
        timeout.CancelAfter(ProposeTimeout);
        long started = Stopwatch.GetTimestamp();
        try
        {
            // 6.12's ReplicateAsync returns no bool (its XML doc still says it does): completion means committed.
            await cluster.ReplicateAsync(Encoding.UTF8.GetBytes(value), null, timeout.Token);
            double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return Results.Ok(new { committed = true, ms, term = cluster.Term });
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or NotLeaderException or QuorumUnreachableException)
        {
            return Results.Json(new { error = "replicate-failed", message = $"{e.GetType().Name}: {e.Message}" }, statusCode: 503);
        }
    }

    private static async Task<IResult> ReadAsync(IRaftCluster cluster, ConfigStateMachine machine, bool barrier, CancellationToken aborted)
    {
        if (barrier)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            timeout.CancelAfter(ProposeTimeout);
            try
            {
                await cluster.ApplyReadBarrierAsync(timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or QuorumUnreachableException)
            {
                return Results.Json(new { error = "barrier-failed", message = $"{e.GetType().Name}: {e.Message}" }, statusCode: 503);
            }
        }

        return Results.Ok(new { value = machine.Current.Value, index = machine.Current.Index });
    }

    private static Task<IResult> AddMemberAsync(IRaftHttpCluster cluster, string uri, CancellationToken aborted) =>
        ChangeMembershipAsync(() => cluster.AddMemberAsync(new Uri(uri), aborted));

    private static Task<IResult> RemoveMemberAsync(IRaftHttpCluster cluster, string uri, CancellationToken aborted) =>
        ChangeMembershipAsync(() => cluster.RemoveMemberAsync(new Uri(uri), aborted));

    private static async Task<IResult> ChangeMembershipAsync(Func<Task<bool>> change)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            bool done = await change();
            return Results.Ok(new { done, ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds });
        }
        catch (Exception e)
        {
            return Results.Json(new { error = "membership-failed", message = $"{e.GetType().Name}: {e.Message}", ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds }, statusCode: 503);
        }
    }
}
