using System.Collections.Concurrent;

namespace ShardedKvs.Node.Cluster.Formation;

/// <summary>On the formation coordinator: the nodes of the initial view that have registered.</summary>
public sealed class FormationRegistry
{
    private readonly ConcurrentDictionary<string, bool> _joined = new(StringComparer.OrdinalIgnoreCase);

    public void Join(string address) => _joined.TryAdd(address, true);

    public bool HasJoined(string address) => _joined.ContainsKey(address);
}
