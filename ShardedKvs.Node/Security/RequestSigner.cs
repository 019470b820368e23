using System.Globalization;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Node.Security;

/// <summary>
/// Signs this node's internal calls: the peer client's HTTP requests and the upgrade that opens a
/// forwarding lane. The one place that decides what a signature covers and which headers carry it;
/// <c>Api/ClusterAuthMiddleware</c> checks them on the receiving side.
/// </summary>
public sealed class RequestSigner(ClusterKeys keys, TimeProvider time, IOptions<NodeOptions> options)
{
    private readonly string _self = options.Value.Address;

    /// <param name="pathAndQuery">The request target exactly as it goes on the wire: the receiver
    /// checks its raw target.</param>
    public SignatureHeaders Sign(string method, string pathAndQuery, ReadOnlyMemory<byte> body)
    {
        string timestamp = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        string signature = keys.Sign(new SignedFields(method, pathAndQuery, _self, timestamp, body));
        return new SignatureHeaders(_self, timestamp, signature);
    }
}

/// <summary>The headers that carry an internal call's signature (see <see cref="PeerHeaders"/>).</summary>
public readonly record struct SignatureHeaders(string Sender, string Timestamp, string Signature)
{
    public IEnumerable<(string Name, string Value)> All =>
        [(PeerHeaders.Sender, Sender), (PeerHeaders.Timestamp, Timestamp), (PeerHeaders.Signature, Signature)];
}
