using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster;

namespace ShardedKvs.Node.Api;

/// <summary>
/// Internal endpoints answer only calls that present the cluster key (compared in constant time)
/// from a node of a view this node knows. Everything else is refused before it changes anything,
/// and before its body is read: this runs as middleware between routing and the endpoint, because
/// an endpoint filter would only run after the endpoint had bound (parsed) the body.
/// </summary>
public sealed class ClusterKeyFilter(IOptions<NodeOptions> options, ClusterState state) : IMiddleware
{
    private readonly byte[] _clusterKey = Encoding.UTF8.GetBytes(options.Value.ClusterKey);

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        EndpointMetadataCollection? metadata = context.GetEndpoint()?.Metadata;
        if (metadata?.GetMetadata<ClusterKeyRequired>() is null)
        {
            return next(context);
        }

        HttpRequest request = context.Request;
        string? presented = request.Headers[PeerHeaders.ClusterKey];
        if (presented is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _clusterKey))
        {
            return Refuse(context, StatusCodes.Status401Unauthorized, "Missing or wrong cluster key");
        }

        string? sender = request.Headers[PeerHeaders.Sender];
        if (sender is null || !MayCall(sender, metadata))
        {
            return Refuse(context, StatusCodes.Status403Forbidden, $"Sender '{sender}' is not a member of a view this node knows");
        }

        return next(context);
    }

    private bool MayCall(string sender, EndpointMetadataCollection metadata)
    {
        ClusterSnapshot snapshot = state.Snapshot;
        if (snapshot.KnowsMember(sender))
        {
            return true;
        }

        // A node outside every view this node knows may only ask what the view is (a restarted or
        // idle node finding the cluster), or prepare a change that comes from a view it is in.
        return metadata.GetMetadata<OpenToAnyClusterMember>() is not null;
    }

    private static Task Refuse(HttpContext context, int statusCode, string error) =>
        PeerResults.Error(statusCode, error).ExecuteAsync(context);
}

/// <summary>Marks the internal endpoints: <see cref="ClusterKeyFilter"/> guards them.</summary>
public sealed class ClusterKeyRequired;

/// <summary>Marks an internal endpoint that any holder of the cluster key may call.</summary>
public sealed class OpenToAnyClusterMember;

public static class ClusterKeyFilterExtensions
{
    /// <summary>Guards the endpoints marked <see cref="ClusterKeyRequired"/>; must come after routing.</summary>
    public static IApplicationBuilder UseClusterKey(this IApplicationBuilder app) => app.UseMiddleware<ClusterKeyFilter>();
}
