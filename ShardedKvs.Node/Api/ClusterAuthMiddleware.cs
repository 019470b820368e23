using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Security;

namespace ShardedKvs.Node.Api;

/// <summary>
/// Internal endpoints answer only calls signed with a cluster key (HMAC-SHA256 over method, path,
/// sender, timestamp and the body's hash; see <see cref="Security.RequestSigner"/>), made within the skew window, by a member of a
/// view this node knows (in replicated mode, by any node holding the cluster key). Everything else is refused before it is parsed or changes anything.
/// A middleware rather than an endpoint filter because the signature covers the body, which must be
/// checked before model binding reads it.
/// </summary>
public sealed class ClusterAuthMiddleware(RequestDelegate next, ClusterKeys keys, ClusterState state, TimeProvider time, IOptions<NodeOptions> options)
{
    private readonly long _skewMilliseconds = (long)options.Value.SignatureSkew.TotalMilliseconds;
    private readonly bool _replicated = options.Value.IsReplicated;

    public async Task InvokeAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        string? sender = request.Headers[PeerHeaders.Sender];
        string? timestamp = request.Headers[PeerHeaders.Timestamp];
        string? signature = request.Headers[PeerHeaders.Signature];
        if (sender is null || timestamp is null || signature is null)
        {
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, "Missing cluster signature");
            return;
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out long sentAt)
            || Math.Abs(time.GetUtcNow().ToUnixTimeMilliseconds() - sentAt) > _skewMilliseconds)
        {
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, "Cluster signature is outside the time window");
            return;
        }

        byte[] body = await ReadBodyAsync(request, context.RequestAborted);
        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path + request.QueryString;
        var fields = new SignedFields(request.Method, target, sender, timestamp, body);
        if (!keys.Verify(fields, signature, out int keyIndex))
        {
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, "Invalid cluster signature");
            return;
        }

        // Replicated mode: membership is the configuration's, which a sender may know before this node
        // does (it was just added); the signature authenticates, and epochs order the rest.
        if (!_replicated && !state.Snapshot.KnowsMember(sender) && context.GetEndpoint()?.Metadata.GetMetadata<OpenToAnyClusterMember>() is null)
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, $"Sender '{sender}' is not a member of a view this node knows");
            return;
        }

        // Handlers bind the body the signature covered, from a stream over the same array, or take
        // the array itself (VerifiedBody) rather than copy it once more.
        context.Features.Set(new VerifiedSender(sender, keyIndex));
        context.Features.Set(new VerifiedBody(body));
        request.Body = new MemoryStream(body, writable: false);
        await next(context);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count == 0))
        {
            return [];
        }

        if (request.ContentLength is > 0 and <= int.MaxValue)
        {
            // Kestrel has already checked the length against MaxRequestBodySize.
            byte[] body = new byte[(int)request.ContentLength];
            await request.Body.ReadExactlyAsync(body, cancellationToken);
            return body;
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static Task RefuseAsync(HttpContext context, int statusCode, string error) =>
        PeerAnswers.Error(statusCode, error).ExecuteAsync(context);
}

/// <summary>Who signed an internal call, and with which of the cluster keys.</summary>
public sealed record VerifiedSender(string Address, int KeyIndex);

/// <summary>The body of an internal call, exactly as its signature covered it.</summary>
public sealed record VerifiedBody(ReadOnlyMemory<byte> Bytes);

/// <summary>Marks an internal endpoint that a signed caller outside every known view may call:
/// asking for the view (a restarted or idle node), and the steps that add a node to a view.</summary>
public sealed class OpenToAnyClusterMember;
