using System.Security.Cryptography;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// How a lane is opened: an HTTP/1.1 upgrade on the node's own port, so lanes need no port of their
/// own. The opener signs <c>GET /internal/lane?nonce=N1</c> like any internal call; the acceptor
/// answers 101 with a nonce N2 of its own. Both derive the lane's session key from the cluster key
/// and (sender, N1, N2): a captured upgrade replayed within the signature window opens a connection
/// whose frames the replayer cannot sign.
/// </summary>
public static class LaneHandshake
{
    public static readonly string Path = PeerRoutes.Lane.Path;
    public const string Protocol = "kvs-lane";
    public const string NonceParameter = "nonce";

    private const int NonceBytes = 16;

    public static string NewNonce() => Convert.ToHexString(RandomNumberGenerator.GetBytes(NonceBytes));

    public static bool IsNonce(string? text) => text is { Length: NonceBytes * 2 } && text.All(char.IsAsciiHexDigit);

    public static string SessionContext(string sender, string openerNonce, string acceptorNonce) =>
        $"{sender}\n{openerNonce}\n{acceptorNonce}";
}
