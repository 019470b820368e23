using System.Globalization;

namespace RaftSpike.Node;

/// <summary>How one spike node is started (from its command line).</summary>
public sealed record SpikeNodeOptions(
    int Port,
    IReadOnlyList<Uri> Members,
    string DataDir,
    string? ClusterKey,
    bool ColdStart,
    string Incarnation,
    string? Path,
    int SnapshotEvery,
    MembershipStore Membership,
    int LowerElectionTimeoutMs)
{
    /// <summary>With a path, the member's identity (DotNext derives it from this URI) and its Raft
    /// route both carry it: a way to give each incarnation its own identity at the same host:port.</summary>
    public Uri PublicEndPoint => new(UrlOf(Port, Path));

    public static string UrlOf(int port, string? path) =>
        $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/{path}";

    public static SpikeNodeOptions Parse(IReadOnlyList<string> args)
    {
        int port = 0;
        List<Uri> members = [];
        string? path = null;
        int snapshotEvery = 50;
        var membership = MembershipStore.InMemorySeed;
        int electionMs = 150;
        string? data = null;
        string? key = null;
        bool coldStart = false;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--port": port = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--members": members.AddRange(args[++i].Split(',').Select(ParseMember)); break;
                case "--path": path = args[++i]; break;
                case "--snapshot-every": snapshotEvery = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--data": data = args[++i]; break;
                case "--key": key = args[++i]; break;
                case "--cold-start": coldStart = true; break;
                case "--persist-membership": membership = MembershipStore.PersistentColdStart; break;
                case "--seeded-membership": membership = MembershipStore.PersistentSeed; break;
                case "--election-ms": electionMs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        if (port == 0)
        {
            throw new ArgumentException("--port is required");
        }

        return new SpikeNodeOptions(
            port,
            members,
            data ?? System.IO.Path.Combine(System.IO.Path.GetTempPath(), "raft-spike", port.ToString(CultureInfo.InvariantCulture)),
            key,
            coldStart,
            Guid.NewGuid().ToString("N")[..8],
            path,
            snapshotEvery,
            membership,
            electionMs);
    }

    // A bare port means the member's root URL; anything else is the member's full URL.
    private static Uri ParseMember(string member) =>
        int.TryParse(member, NumberStyles.None, CultureInfo.InvariantCulture, out int port) ? new Uri(UrlOf(port, null)) : new Uri(member);
}
