using System.Text.Json.Nodes;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// Nodes running as real processes, as a failover test drives them: <see cref="ProcessCluster"/> on
/// loopback ports, or <c>Deployment.HostCluster</c> with one host (network namespace) per node.
/// </summary>
public interface IRunningNodes
{
    /// <summary>Every node's address as written in views; index i is node i.</summary>
    string[] Addresses { get; }

    /// <summary>The key the nodes sign their internal calls with (a test signs its own with it too).</summary>
    string ClusterKey { get; }

    /// <summary>One client per node.</summary>
    HttpClient[] Clients { get; }

    /// <summary>SIGKILL: the node gets no chance to finish anything.</summary>
    void Kill(int index);

    /// <summary>Starts a new process for a node that was killed: same address and settings, empty memory.</summary>
    void Restart(int index);

    /// <summary>The node's <c>GET /kvs/view</c>, or null while nothing answers.</summary>
    Task<JsonObject?> ViewAsync(int index);
}
