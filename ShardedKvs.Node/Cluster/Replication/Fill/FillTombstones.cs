using System.Collections.Concurrent;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// The deletes a learner applied while a fill runs. The store keeps no tombstones, so without this a
/// copy of a key read by its primary before a delete, arriving after the delete, would bring the key
/// back. Remembered by the replica's apply path when it applies a replicated delete, consulted by
/// <see cref="FillTarget"/> before it applies a copied key, cleared when the fill ends.
/// </summary>
/// <remarks>
/// Concurrency: <see cref="Remember"/> and <see cref="Covers"/> for one key are called under that
/// key's stripe (<see cref="Requests.KeysInFlight.StripeFor"/>), which orders a delete against a copy
/// of the same key; the concurrent dictionary only keeps different keys from colliding.
/// </remarks>
public sealed class FillTombstones
{
    private readonly ConcurrentDictionary<string, long> _deletes = new(StringComparer.Ordinal);

    /// <summary>How many keys have a remembered delete.</summary>
    public int Count => _deletes.Count;

    /// <summary>Remembers that the key was deleted at <paramref name="version"/> (keeps the newest
    /// delete of the key). Under the key's stripe.</summary>
    public void Remember(string key, long version) =>
        _deletes.AddOrUpdate(key, static (_, deleted) => deleted, static (_, known, deleted) => Math.Max(known, deleted), version);

    /// <summary>Whether a delete at least as new as <paramref name="version"/> was remembered for the
    /// key: a copy at that version must not be applied. Under the key's stripe.</summary>
    public bool Covers(string key, long version) => _deletes.TryGetValue(key, out long deleted) && deleted >= version;

    /// <summary>Forgets every delete: the fill ended (switched or was replaced by a newer one).</summary>
    public void Clear() => _deletes.Clear();
}
