using System.Buffers;
using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Cluster.ViewChange;
using ShardedKvs.Node.Cluster.ViewChange.Migration;
using ShardedKvs.Node.Storage;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Api;

/// <summary>Changing and reading the view.</summary>
public static class ViewApi
{
    public const string ViewMissing = "View is missing";

    public static IEndpointRouteBuilder MapViewApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPut("/kvs/view-change", ChangeViewAsync).AddEndpointFilter<AdminKeyFilter>();
        endpoints.MapGet("/kvs/view", GetView);
        return endpoints;
    }

    private static async Task<IResult> ChangeViewAsync(HttpContext context, ViewChangeCoordinator coordinator, ReplicatedViewChange replicated, IOptions<NodeOptions> options)
    {
        // Read like a PUT's body: bounded, whatever the Content-Type, and no body means no view.
        ViewBody body = await BoundedBody.ReadAsync(context.Request, options.Value.MaxRequestBodyBytes, ParseBody, TooLarge, context.RequestAborted);
        if (body.Error is not null)
        {
            return ApiErrors.Create(body.StatusCode, body.Error, "Error in PUT");
        }

        ViewChangeRequest request = body.Request!;
        if (!ViewParser.TryParse(request.View, out ImmutableArray<string> nodes, out string? error))
        {
            return ApiErrors.Create(StatusCodes.Status400BadRequest, error, "Error in PUT");
        }

        ViewChangeResult result = options.Value.IsReplicated
            ? await replicated.ChangeAsync(nodes, context.RequestAborted)
            : await coordinator.ChangeAsync(nodes, context.RequestAborted);
        if (!result.Succeeded)
        {
            int status = result.Status == ViewChangeStatus.Conflict ? StatusCodes.Status409Conflict : StatusCodes.Status503ServiceUnavailable;
            return ApiErrors.Create(status, result.Error ?? "View change failed", "Error in PUT", address: result.Address);
        }

        ShardInfo[] shards = [.. result.Shards.Select(s => new ShardInfo(s.Address, s.Count))];
        return TypedResults.Json(new ViewChangeResponse("View change successful", shards) { LostNodes = result.LostNodes }, NodeJson.Context.ViewChangeResponse);
    }

    private static ViewBody ParseBody(ReadOnlySequence<byte> json)
    {
        if (json.IsEmpty)
        {
            return ViewBody.Invalid(ViewMissing);
        }

        try
        {
            ViewChangeRequest? request = json.IsSingleSegment
                ? JsonSerializer.Deserialize(json.FirstSpan, NodeJson.Context.ViewChangeRequest)
                : JsonSerializer.Deserialize(json.ToArray(), NodeJson.Context.ViewChangeRequest);
            return request?.View is null ? ViewBody.Invalid(ViewMissing) : new ViewBody(request, StatusCodes.Status200OK, null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: text that is not UTF-8.
            return ViewBody.Invalid("Invalid JSON body");
        }
    }

    private static ViewBody TooLarge(int maxBytes) =>
        ViewBody.Invalid(BoundedBody.TooLargeError(maxBytes), StatusCodes.Status413PayloadTooLarge);

    private readonly record struct ViewBody(ViewChangeRequest? Request, int StatusCode, string? Error)
    {
        public static ViewBody Invalid(string error, int statusCode = StatusCodes.Status400BadRequest) => new(null, statusCode, error);
    }

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<ViewResponse>> GetView(ClusterState state, KeySource source, FillSource fill)
    {
        ClusterSnapshot s = state.Snapshot;
        // Read before counting what remains: a batch acknowledged between the two reads is then
        // missing from both rather than counted as moved and as remaining.
        long? moved = s.Pending is { } pending ? source.MovedFor(pending.Epoch) : null;
        // Clients and the dashboard's health checks ask for the view; during a change, counting walks the whole store.
        long? remaining = s.Pending is null ? null : await StoreWalk.RunAsync(source.CountRemaining);
        string status = s.Status switch
        {
            NodeStatus.Forming => "forming",
            NodeStatus.Idle => "idle",
            NodeStatus.Joining => "joining",
            NodeStatus.Excluded => "excluded",
            _ when s.Replica is { Config.IsFilling: true } => "serving",
            _ when s.Pending is not null => "changing",
            _ => "serving",
        };
        return TypedResults.Json(
            new ViewResponse("View retrieved successfully", s.Self, status, s.Current.Epoch, s.Current.Text, s.Pending?.Epoch, s.Pending?.Text)
            {
                TokensPerNode = s.Current.Ring.TokensPerNode,
                KeysMoved = moved,
                KeysRemaining = remaining,
                Unavailable = s.Current.Unavailable.IsEmpty ? null : s.Current.Unavailable,
                ReplicationFactor = s.Replica?.Config.PlacedFactor,
                Members = s.Replica is { } replica ? ReplicaView.Members(replica.Config) : null,
                Placement = s.Replica is { } placed ? ReplicaView.Placement(placed.Config) : null,
                Fill = s.Replica is { Config.IsFilling: true } filling ? ReplicaView.Fill(filling.Config, fill.Progress) : null,
            },
            NodeJson.Context.ViewResponse);
    }
}
