using System.Globalization;
using System.Text;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Security;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>Headers that sign an internal call as a node would, for tests that call nodes directly.</summary>
public static class Signatures
{
    public static (string Name, string Value)[] Headers(string method, string target, string? body, string sender, string clusterKey, DateTimeOffset? signedAt = null)
    {
        string timestamp = (signedAt ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        byte[] bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        string signature = new ClusterKeys(clusterKey).Sign(new SignedFields(method, target, sender, timestamp, bytes));
        return [(PeerHeaders.Sender, sender), (PeerHeaders.Timestamp, timestamp), (PeerHeaders.Signature, signature)];
    }
}
