using System.Globalization;

namespace RaftSpike.Node;

/// <summary>How one spike node is started (from its command line).</summary>
public sealed record SpikeNodeOptions(
    int Port,
    IReadOnlyList<int> Members,
    string DataDir,
    string? ClusterKey,
    bool ColdStart,
    string Incarnation)
{
    public Uri PublicEndPoint => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    public static SpikeNodeOptions Parse(IReadOnlyList<string> args)
    {
        int port = 0;
        List<int> members = [];
        string? data = null;
        string? key = null;
        bool coldStart = false;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--port": port = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--members": members.AddRange(args[++i].Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture))); break;
                case "--data": data = args[++i]; break;
                case "--key": key = args[++i]; break;
                case "--cold-start": coldStart = true; break;
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
            data ?? Path.Combine(Path.GetTempPath(), "raft-spike", port.ToString(CultureInfo.InvariantCulture)),
            key,
            coldStart,
            Guid.NewGuid().ToString("N")[..8]);
    }
}
