using System.Globalization;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication.Fill;

namespace ShardedKvs.Node.Api;

/// <summary>How the view API shows a configuration's members and its fill.</summary>
public static class ReplicaView
{
    public static IReadOnlyList<MemberInfo> Members(ClusterConfig config) =>
        [.. config.Members.Select(m => new MemberInfo(m.Address, m.Incarnation.ToString("x", CultureInfo.InvariantCulture), StateOf(config, m)))];

    /// <summary>The addresses whose ring places every key's replicas (in-sync or not): with the members'
    /// states, exactly what a client needs to compute each key's primary as the nodes do.</summary>
    public static IReadOnlyList<string> Placement(ClusterConfig config) => [.. config.Placement.Select(p => p.Address)];

    /// <param name="copy">This node's copy, shown when it is this fill's.</param>
    public static FillInfo Fill(ClusterConfig config, FillProgress copy)
    {
        bool copying = copy.FillEpoch == config.FillEpoch;
        return new(config.FillEpoch, [.. config.Sources.Select(s => s.Address)], [.. config.Filled.Select(s => s.Address)])
        {
            KeysToCopy = copying ? copy.KeysTotal : null,
            KeysCopied = copying ? copy.KeysCopied : null,
        };
    }

    private static string StateOf(ClusterConfig config, ConfigMember member) =>
        member.Excluded ? "excluded"
        : config.IsInSync(member.Placed) ? (config.View.Contains(member.Address, StringComparer.OrdinalIgnoreCase) ? "serving" : "leaving")
        : "learner";
}
