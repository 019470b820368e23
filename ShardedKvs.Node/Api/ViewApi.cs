using System.Collections.Immutable;
using System.Text.Json;
using ShardedKvs.Node.Cluster;
using ShardedKvs.Node.Ring;

namespace ShardedKvs.Node.Api;

/// <summary>Changing and reading the view.</summary>
public static class ViewApi
{
    public static IEndpointRouteBuilder MapViewApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPut("/kvs/view-change", ChangeViewAsync).AddEndpointFilter<AdminKeyFilter>();
        endpoints.MapGet("/kvs/view", GetView);
        return endpoints;
    }

    private static async Task<IResult> ChangeViewAsync(HttpContext context, ViewChangeCoordinator coordinator)
    {
        ViewChangeRequest? request;
        try
        {
            request = await context.Request.ReadFromJsonAsync(NodeJson.Context.ViewChangeRequest, context.RequestAborted);
        }
        catch (JsonException)
        {
            return ApiErrors.Create(StatusCodes.Status400BadRequest, "Invalid JSON body", "Error in PUT");
        }
        catch (InvalidOperationException)
        {
            return ApiErrors.Create(StatusCodes.Status400BadRequest, "Invalid JSON body", "Error in PUT");
        }

        if (request?.View is null)
        {
            return ApiErrors.Create(StatusCodes.Status400BadRequest, "View is missing", "Error in PUT");
        }

        if (!ViewParser.TryParse(request.View, out ImmutableArray<string> nodes, out string? error))
        {
            return ApiErrors.Create(StatusCodes.Status400BadRequest, error, "Error in PUT");
        }

        ViewChangeResult result = await coordinator.ChangeAsync(nodes, context.RequestAborted);
        return result.Error is null
            ? TypedResults.Json(new ViewChangeResponse("View change successful", result.Shards), NodeJson.Context.ViewChangeResponse)
            : ApiErrors.Create(result.StatusCode, result.Error, "Error in PUT", address: result.Address);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<ViewResponse> GetView(ClusterState state)
    {
        ClusterSnapshot s = state.Snapshot;
        string status = s.Status switch
        {
            NodeStatus.Forming => "forming",
            NodeStatus.Idle => "idle",
            _ when s.Pending is not null => "changing",
            _ => "serving",
        };
        return TypedResults.Json(
            new ViewResponse("View retrieved successfully", s.Self, status, s.Current.Epoch, s.Current.Text, s.Pending?.Epoch, s.Pending?.Text),
            NodeJson.Context.ViewResponse);
    }
}
