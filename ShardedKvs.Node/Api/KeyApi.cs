using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;

namespace ShardedKvs.Node.Api;

/// <summary>The public key endpoints, compatible with the reference project.</summary>
public static class KeyApi
{
    public const string KeysPrefix = "/kvs/keys/";

    public static IEndpointRouteBuilder MapKeyApi(this IEndpointRouteBuilder endpoints)
    {
        // Plain request delegates over services resolved once: the hottest endpoints bind nothing per
        // request. A catch-all, so a key may contain '/' (raw or as %2F): KeyPath reads it from the raw target.
        KeyRequestHandler operations = endpoints.ServiceProvider.GetRequiredService<KeyRequestHandler>();
        ClusterState state = endpoints.ServiceProvider.GetRequiredService<ClusterState>();
        NodeOptions options = endpoints.ServiceProvider.GetRequiredService<IOptions<NodeOptions>>().Value;
        endpoints.MapGet("/kvs/keys/{**key}", context =>
            HandleAsync(context, KeyOperation.Get, operations, state, maxKeyLength: int.MaxValue, maxBodyBytes: 0));
        endpoints.MapDelete("/kvs/keys/{**key}", context =>
            HandleAsync(context, KeyOperation.Delete, operations, state, maxKeyLength: int.MaxValue, maxBodyBytes: 0));
        endpoints.MapPut("/kvs/keys/{**key}", context =>
            HandleAsync(context, KeyOperation.Put, operations, state, options.MaxKeyLength, options.MaxRequestBodyBytes));
        endpoints.MapGet("/kvs/key-count", async (KeyValueStore store) =>
        {
            ClusterSnapshot snapshot = state.Snapshot;
            (int primary, int copies) = await ReplicaKeyCounts.CountAsync(snapshot, store);
            return TypedResults.Json(
                new KeyCountResponse("Key count retrieved successfully", primary) { ReplicaKeyCount = snapshot.Replica is null ? null : copies },
                NodeJson.Context.KeyCountResponse);
        });
        return endpoints;
    }

    private static async Task HandleAsync(HttpContext context, KeyOperation operation, KeyRequestHandler operations, ClusterState state, int maxKeyLength, int maxBodyBytes)
    {
        if (!KeyPath.TryGetKey(context, KeysPrefix, out string key, out string? keyError))
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, keyError, ApiErrors.MessageFor(context.Request));
            return;
        }

        byte[]? value = null;
        if (operation == KeyOperation.Put)
        {
            // The reference checks for a missing value before a long key; so do we.
            PutBody body = await PutBodyReader.ReadAsync(context.Request, maxBodyBytes, context.RequestAborted);
            if (body.Error is not null)
            {
                await ApiErrors.WriteAsync(context, body.StatusCode, body.Error, "Error in PUT");
                return;
            }

            if (key.Length > maxKeyLength)
            {
                await ApiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "Key is too long", "Error in PUT");
                return;
            }

            value = body.Value;
        }

        KeyOutcome outcome = await operations.ExecuteAsync(operation, key, value, senderEpoch: null, context.RequestAborted);
        await KeyResponseWriter.WriteAsync(context.Response, operation, outcome, state.Snapshot);
    }
}
