using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster;

namespace ShardedKvs.Node.Api;

/// <summary>
/// Internal endpoints answer only calls that present the cluster key (compared in constant time)
/// from a node of a view this node knows. Everything else is refused before it changes anything.
/// </summary>
public sealed class ClusterKeyFilter(IOptions<NodeOptions> options, ClusterState state) : IEndpointFilter
{
    private readonly byte[] _clusterKey = Encoding.UTF8.GetBytes(options.Value.ClusterKey);

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        HttpRequest request = context.HttpContext.Request;
        string? presented = request.Headers[PeerHeaders.ClusterKey];
        if (presented is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _clusterKey))
        {
            return Refuse(StatusCodes.Status401Unauthorized, "Missing or wrong cluster key");
        }

        string? sender = request.Headers[PeerHeaders.Sender];
        if (sender is null || !MayCall(sender, context.HttpContext))
        {
            return Refuse(StatusCodes.Status403Forbidden, $"Sender '{sender}' is not a member of a view this node knows");
        }

        return next(context);
    }

    private bool MayCall(string sender, HttpContext context)
    {
        ClusterSnapshot snapshot = state.Snapshot;
        if (snapshot.KnowsMember(sender))
        {
            return true;
        }

        // A node outside every view this node knows may only ask what the view is (a restarted or
        // idle node finding the cluster), or prepare a change that comes from a view it is in.
        return context.GetEndpoint()?.Metadata.GetMetadata<OpenToAnyClusterMember>() is not null;
    }

    private static ValueTask<object?> Refuse(int statusCode, string error) =>
        ValueTask.FromResult<object?>(PeerResults.Error(statusCode, error));
}

/// <summary>Marks an internal endpoint that any holder of the cluster key may call.</summary>
public sealed class OpenToAnyClusterMember;
