using System.Collections.Concurrent;

namespace ShardedKvs.Node.Cluster.Formation;

/// <summary>On the formation coordinator: the nodes of the initial view that have registered, with
/// the incarnation each runs (replicated mode places exactly those at epoch 1).</summary>
public sealed class FormationRegistry
{
    private readonly ConcurrentDictionary<string, long> _joined = new(StringComparer.OrdinalIgnoreCase);

    public void Join(string address, long incarnation = 0) => _joined[address] = incarnation;

    public bool HasJoined(string address) => _joined.ContainsKey(address);

    public long IncarnationOf(string address) => _joined.GetValueOrDefault(address);
}
